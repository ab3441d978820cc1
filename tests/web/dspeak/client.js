// A dspeak-style client of Hearth's `/socket` (SPEC section 7, seed 001) built on the real
// mediasoup-client, driven by tests/e2e/dspeak_browser.rs through the DevTools protocol.
// Query string: ws (the full /socket URL with auth and channelId), listen_hz.
// Everything the test reads is in `window.hearthTest`; `power` is keyed by user id.
// Like dspeak's own client it produces, closes the producer locally and produces again on join,
// and mutes by closing its producer and unmutes by producing again (`hearthTest.mute()`,
// `hearthTest.unmute()`): the protocol has no close-producer message.
import { Device } from 'mediasoup-client';

const params = new URLSearchParams(location.search);
const WS_URL = params.get('ws');
const LISTEN_HZ = Number(params.get('listen_hz') || '440');
const WINDOW = 8192;
const test = window.hearthTest = {
  joined: false, error: null, producing: false, producerId: null,
  consumers: [], tracks: [], power: {}, rms: {}, sendState: 'new', recvState: 'new',
  errors: [], log: [], userId: null, produced: [], announcedBeforeProducing: [],
  closedCleanly: null,
};
function log(...parts) {
  const line = `${(performance.now() / 1000).toFixed(3)} ${parts.join(' ')}`;
  test.log.push(line);
  if (test.log.length > 500) test.log.shift();
  document.getElementById('log').textContent += line + '\n';
}
function fail(what, e) {
  test.error = `${what}: ${e && e.message ? e.message : e}`;
  log('ERROR', test.error);
}
/** Normalised Goertzel power of `hz` in `x` (Hann window): about amplitude^2 for a pure tone. */
function goertzel(x, hz, rate) {
  const n = x.length;
  const coeff = 2 * Math.cos(2 * Math.PI * hz / rate);
  let s1 = 0, s2 = 0, wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / n);
    wsum += w;
    const s0 = w * x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return 4 * Math.max(p, 0) / (wsum * wsum);
}
let audioContext = null;
const meters = new Map();
function meter(user, track) {
  if (meters.has(user)) return;
  const stream = new MediaStream([track]);
  // Chromium feeds a remote WebRTC track to WebAudio only while a media element plays it.
  const el = document.createElement('audio');
  el.muted = true;
  el.autoplay = true;
  el.srcObject = stream;
  el.play().catch(e => log('audio element play failed:', e.message));
  document.body.appendChild(el);
  if (!audioContext) audioContext = new AudioContext();
  audioContext.resume().catch(() => {});
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = WINDOW;
  audioContext.createMediaStreamSource(stream).connect(analyser);
  meters.set(user, { analyser, buffer: new Float32Array(WINDOW) });
  test.power[user] = 0;
  test.rms[user] = 0;
  log(`metering user ${user} at ${LISTEN_HZ} Hz`);
}
setInterval(() => {
  for (const [user, m] of meters) {
    m.analyser.getFloatTimeDomainData(m.buffer);
    test.power[user] = goertzel(m.buffer, LISTEN_HZ, audioContext.sampleRate);
    let sum = 0;
    for (const v of m.buffer) sum += v * v;
    test.rms[user] = Math.sqrt(sum / m.buffer.length);
  }
  document.getElementById('power').textContent = JSON.stringify(test.power);
}, 100);

const microphone = () => navigator.mediaDevices.getUserMedia({
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
});

async function main() {
  const ws = new WebSocket(WS_URL);
  const send = (type, data) => ws.send(JSON.stringify(data === undefined ? { type } : { type, data }));
  // Replies arrive in request order; each request waits for its reply type (or an error).
  const waiters = [];
  const request = (type, data, replyType) => new Promise((resolve, reject) => {
    waiters.push({ replyType, resolve, reject });
    send(type, data);
  });
  const device = new Device();
  let sendTransport = null;
  let recvTransport = null;
  const consumed = new Set();
  let consuming = Promise.resolve();
  const consumeAll = producers => {
    consuming = consuming.then(async () => {
      for (const [producerId, user] of Object.entries(producers)) {
        if (consumed.has(producerId) || test.produced.includes(producerId) || !recvTransport) continue;
        consumed.add(producerId);
        const params = await request('consume', {
          producerId, transportId: recvTransport.id, rtpCapabilities: device.recvRtpCapabilities,
        }, 'consumer-params');
        const consumer = await recvTransport.consume(params);
        test.consumers.push({ id: consumer.id, producerId, user: params.userId });
        test.tracks.push(Number(params.userId));
        log('consuming', producerId, 'of user', params.userId);
        meter(Number(params.userId), consumer.track);
      }
    }).catch(e => fail('consume', e));
  };
  let lastProducers = {};
  ws.onmessage = e => {
    let msg;
    try { msg = JSON.parse(e.data); } catch (err) { log('unparseable', e.data); return; }
    if (msg.type !== 'pong') log('<-', e.data.slice(0, 200));
    if (msg.type === 'connected') { test.joined = true; test.userId = msg.data.userId; return; }
    if (msg.type === 'currentlyInChannel') {
      lastProducers = msg.producerUserMap || {};
      // A producer of ours that we never produced means the server announced one early.
      for (const [producerId, user] of Object.entries(lastProducers)) {
        if (user === test.userId && !test.produced.includes(producerId)
            && !test.announcedBeforeProducing.includes(producerId)) {
          test.announcedBeforeProducing.push(producerId);
        }
      }
      consumeAll(lastProducers);
      return;
    }
    if (msg.type === 'available-producers' || msg.type === 'pong') return;
    if (msg.type === 'producer-closed') return;
    const waiter = waiters.shift();
    if (!waiter) return;
    if (msg.type === 'error') {
      test.errors.push(msg.data);
      waiter.reject(new Error(msg.data));
    } else if (msg.type === waiter.replyType) {
      waiter.resolve(msg.data);
    } else {
      waiter.reject(new Error(`expected ${waiter.replyType}, got ${msg.type}`));
    }
  };
  ws.onclose = e => { test.closedCleanly = e.wasClean; log('socket closed', e.code, e.reason, e.wasClean); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  setInterval(() => send('ping'), 5000);

  const routerRtpCapabilities = await request('get-rtp-capabilities', undefined, 'rtp-capabilities');
  await device.load({ routerRtpCapabilities });
  await request('client-rtp-capabilities', { rtpCapabilities: device.recvRtpCapabilities }, 'rtp-capabilities-ack');
  log('device loaded, handler', device.handlerName);

  const sendParams = await request('create-transport', { type: 'send' }, 'transport-params');
  sendTransport = device.createSendTransport(sendParams);
  sendTransport.on('connect', ({ dtlsParameters }, ok, err) => {
    request('connect-transport', { transportId: sendTransport.id, dtlsParameters }, 'transport-connected')
      .then(() => ok(), err);
  });
  sendTransport.on('produce', ({ kind, rtpParameters }, ok, err) => {
    request('produce', { transportId: sendTransport.id, kind, rtpParameters }, 'producer-id')
      .then(d => { test.producerId = d.id; test.produced.push(d.id); ok({ id: d.id }); }, err);
  });
  sendTransport.on('connectionstatechange', s => { test.sendState = s; log('send transport', s); });

  const recvParams = await request('create-transport', { type: 'recv' }, 'transport-params');
  recvTransport = device.createRecvTransport(recvParams);
  recvTransport.on('connect', ({ dtlsParameters }, ok, err) => {
    request('connect-transport', { transportId: recvTransport.id, dtlsParameters }, 'transport-connected')
      .then(() => ok(), err);
  });
  recvTransport.on('connectionstatechange', s => { test.recvState = s; log('recv transport', s); });

  const produce = async () => {
    const mic = await microphone();
    const producer = await sendTransport.produce({ track: mic.getAudioTracks()[0] });
    test.producing = true;
    log('producing', producer.id);
    return producer;
  };
  // dspeak's auto-start produces, then its voice store closes that producer and produces again.
  let producer = await produce();
  producer.close();
  producer = await produce();
  consumeAll(lastProducers);
  test.mute = async () => { producer.close(); test.producing = false; log('muted'); };
  test.unmute = async () => { producer = await produce(); };
  test.leave = () => ws.close(1000, 'leaving');
}

main().catch(e => fail('setup', e));
