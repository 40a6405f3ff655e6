import { createInterface } from 'node:readline';
import { describeInstruction, type Instruction, type UserInteraction } from './user-interaction.js';

/**
 * A real person at a terminal: instructions are printed, the setup code is typed in (one line on `input`).
 * Works with a TTY or a pipe; a closed input is an error that says how to proceed.
 */
export class ConsoleUser implements UserInteraction {
  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly say: (line: string) => void,
  ) {}

  async instruct(instruction: Instruction): Promise<void> {
    this.say(`» ${describeInstruction(instruction)}`);
  }

  readSetupCode(signal?: AbortSignal): Promise<string> {
    this.say('» Type the setup code shown on the band, then Enter:');
    return new Promise((resolve, reject) => {
      const rl = createInterface({ input: this.input, terminal: false });
      const done = (fn: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        rl.removeAllListeners();
        rl.close();
        fn();
      };
      const onAbort = () => done(() => reject(new Error('setup code entry cancelled')));
      signal?.addEventListener('abort', onAbort, { once: true });
      rl.once('line', (line) => done(() => resolve(line.trim())));
      rl.once('close', () =>
        done(() =>
          reject(
            new Error(
              'standard input closed before a setup code was typed; run interactively, or use --simulate-user FINGER with a band started with --debug-link',
            ),
          ),
        ),
      );
    });
  }
}
