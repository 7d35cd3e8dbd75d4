/**
 * A refusal from a service as conform `submission.reply()` options: under the field it names,
 * otherwise for the whole form.
 */
export function replyErrors(error: { field?: string | null; message: string }) {
  return error.field
    ? { fieldErrors: { [error.field]: [error.message] } }
    : { formErrors: [error.message] }
}
