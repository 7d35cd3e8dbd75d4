import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { ErrorList, Field, SelectField, TextareaField } from './forms'

/** Attributes of the first element with `tag` in `html` (enough for these small fragments). */
function attributes(html: string, tag: string) {
  const match = new RegExp(`<${tag}\\b([^>]*)>`).exec(html)
  if (!match) throw new Error(`no <${tag}> in ${html}`)
  return Object.fromEntries(
    [...(match[1] ?? '').matchAll(/([\w-:]+)(?:="([^"]*)")?/g)].map((m) => [m[1], m[2] ?? '']),
  )
}

// SubmitButton reads the navigation state (useNavigation), so it needs a Remix router around it;
// @remix-run/testing's createRemixStub is not installed here, so it is covered by the e2e tests.

describe('Field', () => {
  it('links the label to the input', () => {
    const html = renderToStaticMarkup(<Field label="Title" name="title" id="title" />)
    expect(attributes(html, 'label').for).toBe('title')
    expect(attributes(html, 'input')).toMatchObject({ id: 'title', name: 'title' })
  })

  it('links the label to a generated id when none is given', () => {
    const html = renderToStaticMarkup(<Field label="Title" name="title" />)
    const id = attributes(html, 'input').id
    expect(id).toBeTruthy()
    expect(attributes(html, 'label').for).toBe(id)
  })

  it('marks the input invalid and describes it by its error list when there are errors', () => {
    const html = renderToStaticMarkup(
      <Field label="Title" name="title" id="title" errors={['Title is required', null]} />,
    )
    const input = attributes(html, 'input')
    expect(input['aria-invalid']).toBe('true')
    expect(input['aria-describedby']).toBe('title-error')
    expect(attributes(html, 'ul').id).toBe('title-error')
    expect(html).toContain('<li>Title is required</li>')
  })

  it('has neither aria-invalid nor aria-describedby without errors or hint', () => {
    for (const errors of [undefined, [], [null, undefined, '']]) {
      const html = renderToStaticMarkup(
        <Field label="Title" name="title" id="title" errors={errors} />,
      )
      const input = attributes(html, 'input')
      expect(input).not.toHaveProperty('aria-invalid')
      expect(input).not.toHaveProperty('aria-describedby')
      expect(html).not.toContain('<ul')
    }
  })

  it('describes the input by its hint, and by hint and errors together', () => {
    const hintOnly = renderToStaticMarkup(
      <Field label="Title" name="title" id="title" hint="Keep it short" />,
    )
    expect(attributes(hintOnly, 'input')['aria-describedby']).toBe('title-hint')
    expect(attributes(hintOnly, 'p').id).toBe('title-hint')

    const both = renderToStaticMarkup(
      <Field label="Title" name="title" id="title" hint="Keep it short" errors={['Too long']} />,
    )
    expect(attributes(both, 'input')['aria-describedby']).toBe('title-hint title-error')
  })

  it('passes the input attributes through', () => {
    const html = renderToStaticMarkup(
      <Field label="E-mail" name="email" id="email" type="email" required defaultValue="a@b.c" />,
    )
    expect(attributes(html, 'input')).toMatchObject({
      type: 'email',
      required: '',
      value: 'a@b.c',
    })
  })
})

describe('TextareaField and SelectField', () => {
  it('wire label, invalid state and error description the same way as Field', () => {
    const textarea = renderToStaticMarkup(
      <TextareaField label="Summary" name="summary" id="summary" errors={['Required']} />,
    )
    expect(attributes(textarea, 'label').for).toBe('summary')
    expect(attributes(textarea, 'textarea')).toMatchObject({
      id: 'summary',
      'aria-invalid': 'true',
      'aria-describedby': 'summary-error',
    })

    const select = renderToStaticMarkup(
      <SelectField
        label="Severity"
        name="severity"
        id="severity"
        options={[
          { value: 'SEV-1', label: 'SEV-1' },
          { value: 'SEV-2', label: 'SEV-2' },
        ]}
      />,
    )
    expect(attributes(select, 'label').for).toBe('severity')
    expect(attributes(select, 'select')).not.toHaveProperty('aria-invalid')
    expect(select).toContain('<option value="SEV-2">SEV-2</option>')
  })
})

describe('ErrorList', () => {
  it('renders nothing when there are no real messages', () => {
    expect(renderToStaticMarkup(<ErrorList id="x" errors={[null, '', undefined]} />)).toBe('')
  })
})
