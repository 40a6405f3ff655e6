import { BandClientError } from '../../host/index.js';
import { HidError } from '../../transport/index.js';

/**
 * Two hosts share the band's HID interface: a debug request that lands between the packets of another host's
 * request is answered CHANNEL_BUSY (CTAP 2.1 §11.2.9.1: the device is reassembling another channel's message), and
 * a host tries again, as CTAPHID hosts do.
 */
export async function busyRetried(action: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof BandClientError && error.hidError === HidError.CHANNEL_BUSY) || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
