// In a page the API serves or an open npm start (EventSource sends no Authorization header).
const source = new EventSource(`${baseUrl}/v1/generations/${jobId}/stream`);
let text = '';
source.addEventListener('text', (event) => {
  text += JSON.parse(event.data).text;
  show(text);
});
// The job started over on another worker: its text comes again from the start.
source.addEventListener('requeued', () => {
  text = '';
  show(text);
});
// The finished job, as GET /v1/generations/{id} returns it. close() stops EventSource
// from reconnecting (a reconnect after done would get a 204, which stops it too).
source.addEventListener('done', (event) => {
  source.close();
  finished(JSON.parse(event.data));
});
