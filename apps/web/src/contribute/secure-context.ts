/**
 * Browsers give WebGPU (and some other APIs) only to secure contexts: https:// pages, and
 * http://localhost. A volunteer who opens the run on http://<LAN address> trains on WebGL or the
 * CPU instead, several times slower, and should know why and what fixes it.
 */
export function insecureContextWarning(secure: boolean, location: { protocol: string; host: string }): string | null {
  if (secure) return null;
  const https = `https://${location.host}`;
  return (
    `This page was opened over ${location.protocol.replace(':', '')}, which the browser does not treat as secure, ` +
    `so it withholds WebGPU: this tab can only train on WebGL or the CPU, several times slower. ` +
    `Open it over HTTPS (${https}) if the run's owner serves it there, or ask them to.`
  );
}
