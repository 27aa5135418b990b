/**
 * A throwaway PKI made with openssl: a CA, a server certificate and client certificates,
 * all EC prime256v1 (fast), plus an OpenVPN tls-crypt key. Valid for two days.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bin } from './requirements.js';

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  tlsCrypt: string;
  /** Certificate and key per common name. */
  clients: Map<string, { cert: string; key: string }>;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A file name for a common name (which may hold spaces or commas). */
const fileOf = (cn: string, i: number): string => `client-${i}-${cn.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** openssl's -subj syntax: "/CN=value" with "/" and "\" escaped. */
const subj = (cn: string): string => `/CN=${cn.replace(/[\\/]/g, (c) => `\\${c}`)}`;

export async function makePki(dir: string, commonNames: string[]): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const openssl = bin('openssl');
  const days = ['-days', '2'];
  run(
    openssl,
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      ...days,
      '-subj',
      '/CN=openvpn-status-web test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await writeFile(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\n',
  );
  await writeFile(
    join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=clientAuth\n',
  );
  const sign = (name: string, cn: string, ext: string): void => {
    run(openssl, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj(cn)], dir);
    run(
      openssl,
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        ...days,
        '-extfile',
        ext,
      ],
      dir,
    );
  };
  sign('server', 'openvpn-status-web test server', 'server.ext');
  const clients = new Map<string, { cert: string; key: string }>();
  commonNames.forEach((cn, i) => {
    const name = fileOf(cn, i);
    sign(name, cn, 'client.ext');
    clients.set(cn, { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
  });
  run(bin('openvpn'), ['--genkey', 'tls-crypt', 'tls-crypt.key'], dir);
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    tlsCrypt: join(dir, 'tls-crypt.key'),
    clients,
  };
}

/** A self-signed certificate for a TLS server (nginx -t of the shipped configs). */
export function selfSigned(dir: string, name: string, cn = 'localhost'): { cert: string; key: string } {
  run(
    bin('openssl'),
    ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', subj(cn)],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
