import { getInputProps, type FieldMetadata } from '@conform-to/react'
import { NEW_PASSWORD_HINT } from '~/domain/access/password-rules'
import { Field } from './forms'

/** The name a new account shows to its organization. */
export function DisplayNameField({ meta }: { meta: FieldMetadata<string> }) {
  return (
    <Field
      label="Your name"
      errors={meta.errors}
      autoComplete="name"
      {...getInputProps(meta, { type: 'text' })}
    />
  )
}

/** A new account's password, with the rules it must meet as the hint. */
export function NewPasswordField({ meta }: { meta: FieldMetadata<string> }) {
  return (
    <Field
      label="Password"
      hint={NEW_PASSWORD_HINT}
      errors={meta.errors}
      autoComplete="new-password"
      {...getInputProps(meta, { type: 'password' })}
    />
  )
}
