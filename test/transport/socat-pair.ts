import { spawn, type ChildProcess } from 'node:child_process';

/** Two connected ptys from `socat -d -d pty,raw,echo=0 pty,raw,echo=0`, which prints their paths on stderr. */
export async function socatPair(): Promise<{ paths: [string, string]; process: ChildProcess; kill(): Promise<void> }> {
  const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const paths: string[] = [];
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat printed no pty paths: ${stderr}`)), 10_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited (${code}) before printing pty paths: ${stderr}`));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      for (const m of stderr.matchAll(/PTY is (\S+)/g)) if (!paths.includes(m[1])) paths.push(m[1]);
      // The transfer loop has started once socat says so; before that the ptys may not relay yet.
      if (paths.length === 2 && /starting data transfer loop/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  };
  return { paths: [paths[0], paths[1]], process: child, kill };
}
