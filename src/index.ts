/**
 * Production entry. Turns on Node's on-disk compile cache before anything else is loaded (the image
 * warms it at build time, so a cold start on Cloud Run skips most JavaScript compilation), then starts
 * the server.
 */
import module from 'node:module';

try {
  module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE);
} catch {
  // an unwritable cache directory only costs speed
}

const { main } = await import('./main.js');
main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ severity: 'CRITICAL', message: 'startup failed', error: (err as Error).message })}\n`,
  );
  process.exit(1);
});
