/**
 * The reverse-proxy and .well-known text the network step shows for a server name, so a
 * person can copy it as is. `host` is where Hearth itself is reached (the server name, or
 * another host when the name is delegated); `port` is Hearth's own HTTP port.
 */
export interface Snippets {
  caddy: string;
  nginx: string;
  wellKnownServer: string;
  wellKnownClient: string;
}

export function networkSnippets(host: string, port: number): Snippets {
  const upstream = `localhost:${port}`;
  return {
    caddy: [
      `${host} {`,
      `    reverse_proxy ${upstream}`,
      `}`,
      ``,
      `# Other Matrix servers connect on port 8448 unless .well-known says otherwise.`,
      `${host}:8448 {`,
      `    reverse_proxy /_matrix/* ${upstream}`,
      `}`,
    ].join('\n'),
    nginx: [
      `server {`,
      `    listen 443 ssl;`,
      `    listen [::]:443 ssl;`,
      `    # Other Matrix servers connect on port 8448 unless .well-known says otherwise.`,
      `    listen 8448 ssl;`,
      `    listen [::]:8448 ssl;`,
      `    server_name ${host};`,
      ``,
      `    ssl_certificate     /etc/letsencrypt/live/${host}/fullchain.pem;`,
      `    ssl_certificate_key /etc/letsencrypt/live/${host}/privkey.pem;`,
      ``,
      `    location / {`,
      `        proxy_pass http://${upstream};`,
      `        proxy_set_header X-Forwarded-For $remote_addr;`,
      `        proxy_set_header X-Forwarded-Proto $scheme;`,
      `        proxy_set_header Host $host;`,
      `        proxy_http_version 1.1;`,
      `        client_max_body_size 50M;`,
      `    }`,
      `}`,
    ].join('\n'),
    wellKnownServer: JSON.stringify({ 'm.server': `${host}:443` }, null, 2),
    wellKnownClient: JSON.stringify({ 'm.homeserver': { base_url: `https://${host}` } }, null, 2),
  };
}

/** localhost, 127.0.0.1 or ::1, with or without a port: a server only for this machine. */
export function isLocalName(serverName: string): boolean {
  return /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(serverName);
}
