/** The Firestore emulator helper the storage tests rely on: start, clear, restart on the same port, freeze, stop, install hints. */
import { createServer } from 'node:http';
import { expect } from 'chai';
import {
  startFirestoreEmulator,
  startFirestoreEmulatorOnPort,
  type FirestoreEmulator,
} from '../../standins/firestore-emulator.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('Firestore emulator helper', function () {
  this.timeout(60_000);
  let emu: FirestoreEmulator;

  before(async () => {
    emu = await startFirestoreEmulator();
  });
  after(async () => {
    await emu?.stop();
  });

  it('answers on 127.0.0.1 and clear() deletes every document of its project', async () => {
    expect(emu.host).to.equal(`127.0.0.1:${emu.port}`);
    expect(await (await fetch(`http://${emu.host}/`)).text()).to.match(/^Ok/);
    expect(emu.env()).to.deep.equal({
      FIRESTORE_EMULATOR_HOST: emu.host,
      GOOGLE_CLOUD_PROJECT: emu.projectId,
      METADATA_SERVER_DETECTION: 'none',
    });
    const db = emu.client();
    await db.collection('a').doc('x').set({ v: 1 });
    await db.collection('b').doc('y').set({ v: 2 });
    expect((await emu.documents()).map((d) => `${d.collection}/${d.key}`).sort()).to.deep.equal(['a/x', 'b/y']);
    await emu.clear();
    expect(await emu.documents()).to.deep.equal([]);
  });

  it('restarts on the same port, keeping data only when asked', async () => {
    const db = emu.client();
    await db.collection('keep').doc('me').set({ v: 1 });
    const port = emu.port;
    await emu.restart({ keepData: true });
    expect(emu.port).to.equal(port);
    expect(emu.running()).to.equal(true);
    expect((await db.collection('keep').doc('me').get()).data()).to.deep.equal({ v: 1 });
    await emu.stop({ keepData: true, keepClients: true });
    expect(emu.running()).to.equal(false);
    await emu.restart();
    expect(
      (await db.collection('keep').doc('me').get()).data(),
      'restored after stop({ keepData: true })',
    ).to.deep.equal({ v: 1 });
    await emu.restart();
    expect((await db.collection('keep').doc('me').get()).exists).to.equal(false);
    await emu.stop({ keepClients: true });
    const err = await rejection(emu.restart({ keepData: true }));
    expect(err.message).to.match(/stop\(\{ keepData: true \}\)/);
    await emu.restart();
  });

  it('freeze() makes it hang without closing connections; thaw() resumes it with its data', async () => {
    const db = emu.client();
    await db.collection('frozen').doc('d').set({ v: 1 });
    await emu.freeze();
    try {
      const err = await rejection(fetch(`http://${emu.host}/`, { signal: AbortSignal.timeout(1000) }));
      expect(err.name).to.equal('TimeoutError');
    } finally {
      emu.thaw();
    }
    expect((await db.collection('frozen').doc('d').get()).data()).to.deep.equal({ v: 1 });
  });

  it('stop() ends the process (idempotently) and frees the port for startFirestoreEmulatorOnPort()', async () => {
    const other = await startFirestoreEmulator();
    await other.stop();
    await other.stop();
    expect(other.running()).to.equal(false);
    const err = await rejection(fetch(`http://${other.host}/`, { signal: AbortSignal.timeout(2000) }));
    expect(String((err as Error & { cause?: Error }).cause ?? err)).to.match(/ECONNREFUSED/);
    const again = await startFirestoreEmulatorOnPort(other.port);
    try {
      expect(again.host).to.equal(other.host);
      expect(await (await fetch(`http://${again.host}/`)).text()).to.match(/^Ok/);
    } finally {
      await again.stop();
    }
  });

  it('does not mistake another process answering "Ok" on its port for itself', async () => {
    const other = await startFirestoreEmulator();
    await other.stop();
    // Something else takes the port meanwhile (e.g. another test run on the same machine).
    const impostor = createServer((_req, res) => res.end('Ok\n'));
    await new Promise<void>((resolve) => impostor.listen(other.port, '127.0.0.1', resolve));
    try {
      const err = await rejection(other.restart());
      expect(err.message).to.match(/exited during start-up/);
      expect(other.running()).to.equal(false);
    } finally {
      await new Promise((r) => impostor.close(r));
    }
  });

  it('fails with install instructions when the emulator jar or java is missing (never skips)', async () => {
    const saved = { jar: process.env.FIRESTORE_EMULATOR_JAR, path: process.env.PATH };
    try {
      process.env.FIRESTORE_EMULATOR_JAR = '/nonexistent/cloud-firestore-emulator.jar';
      const noJar = await rejection(startFirestoreEmulator());
      expect(noJar.message).to.include(
        'apt-get install -y google-cloud-cli-firestore-emulator openjdk-17-jre-headless',
      );
      delete process.env.FIRESTORE_EMULATOR_JAR;
      process.env.PATH = '/nonexistent';
      const noJava = await rejection(startFirestoreEmulator());
      expect(noJava.message).to.match(/`java` is not installed/);
      expect(noJava.message).to.include(
        'apt-get install -y google-cloud-cli-firestore-emulator openjdk-17-jre-headless',
      );
    } finally {
      if (saved.jar === undefined) delete process.env.FIRESTORE_EMULATOR_JAR;
      else process.env.FIRESTORE_EMULATOR_JAR = saved.jar;
      process.env.PATH = saved.path;
    }
  });
});
