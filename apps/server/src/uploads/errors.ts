/** An uploaded task the server refuses; the message says what is wrong and how to fix it. */
export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    message: string,
    /** 413 for size limits, else 400. */
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}
