// A browser-like client of the gateway's realtime streams, for the tests: it
// follows GET /api/realtime/stream with fetch as an EventSource does, or
// GET /api/realtime/ws with the `ws` package, and prints one JSON line per
// message received on stderr (which the tests read):
//   {"kind":"subscribed","after":"12"}
//   {"kind":"event","sequence":"13","removed":false,"event":{...}}
//   {"kind":"close","reason":"..."}        the server ended the stream
//   {"kind":"message","text":"..."}        any other WebSocket message
//
// node realtime_client.mjs sse <url> [last-event-id]
// node realtime_client.mjs ws <url> [subscribe-json] [raw message ...]
//   Without subscribe-json nothing is subscribed; raw messages are sent as
//   they are, after the subscription.
import WebSocket from 'ws';

const [mode, url, ...rest] = process.argv.slice(2);
const print = (line) => process.stderr.write(JSON.stringify(line) + '\n');

function printEvent(sequence, json) {
  const event = JSON.parse(json);
  print({kind: 'event', sequence: String(sequence), removed: event.removed, event});
}

async function followEventStream(lastEventId) {
  const headers = {accept: 'text/event-stream'};
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const response = await fetch(url, {headers});
  if (response.status !== 200) {
    print({kind: 'refused', status: response.status, body: await response.text()});
    return;
  }
  const decoder = new TextDecoder();
  let pending = '';
  for await (const bytes of response.body) {
    pending += decoder.decode(bytes, {stream: true});
    let end;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const fields = {data: []};
      for (const line of block.split('\n')) {
        if (line.startsWith(': subscribed after ')) {
          print({kind: 'subscribed', after: line.slice(': subscribed after '.length)});
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (name === 'data') fields.data.push(value);
        else fields[name] = value;
      }
      if (fields.event === 'close') {
        print({kind: 'close', reason: fields.data.join('\n')});
      } else if (fields.data.length > 0) {
        printEvent(fields.id, fields.data.join('\n'));
      }
    }
  }
  print({kind: 'close', reason: 'end of stream'});
}

function followWebSocket(subscribe, raw) {
  const socket = new WebSocket(url);
  socket.on('open', () => {
    if (subscribe) socket.send(subscribe);
    for (const message of raw) socket.send(message);
  });
  // A text message holds one gateway message per line.
  socket.on('message', (data) => {
    for (const text of data.toString().split('\n')) {
      const message = JSON.parse(text);
      if (message.type === 'event') {
        print({kind: 'event', sequence: message.sequence,
               removed: message.event.removed, event: message.event});
      } else if (message.type === 'subscribed') {
        print({kind: 'subscribed', after: message.afterSequence});
      } else {
        print({kind: 'message', text});
      }
    }
  });
  socket.on('close', (code, reason) => {
    print({kind: 'close', code, reason: reason.toString()});
    process.exit(0);
  });
  socket.on('error', (error) => {
    print({kind: 'refused', error: String(error)});
    process.exit(1);
  });
}

if (mode === 'sse') {
  followEventStream(rest[0]).catch((error) => {
    print({kind: 'close', reason: String(error)});
    process.exit(1);
  });
} else {
  followWebSocket(rest[0], rest.slice(1));
}
