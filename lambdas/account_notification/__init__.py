"""Account-change notification: diff an account's old and new images, and compose and send the
security notice (the user's name and email are looked up in Cognito by the workflow)."""
