/**
 * The boundary between self-hosted tagging and the OCI image retag (written elsewhere,
 * in src/selfhosted/oci-*.ts): the tagging job builds a RetagRequest and calls the
 * injected RetagImage. No secret travels in the request: only the name of the
 * environment variables that hold the credentials.
 */
export interface RetagRequest {
  /** Registry origin, e.g. https://registry.gitlab.com (from the server config, never a payload). */
  readonly registry: string;
  /** Repository inside the registry, e.g. acme/ai-gateway/model-gateway. */
  readonly repository: string;
  /** The existing tag to copy, already rendered (e.g. the commit sha). */
  readonly sourceTag: string;
  /** The tag to create, already rendered (e.g. self-hosted-v18.4.0-ee). */
  readonly targetTag: string;
  /**
   * Prefix of the credential variables: <P>_USERNAME and <P>_PASSWORD, or <P>_TOKEN;
   * null for anonymous access.
   */
  readonly credentialsEnv: string | null;
}

/**
 * Copies the manifest of sourceTag to targetTag by digest, without pulling layers.
 * 'exists' when targetTag already names the same digest. Another digest under
 * targetTag, or a missing sourceTag, is an AppError (retryable or not, as the OCI code
 * decides); the tagging job lets it decide the retry.
 */
export type RetagImage = (request: RetagRequest) => Promise<'copied' | 'exists'>;
