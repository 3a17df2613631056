# Submit and stream in one request: -N prints each event as it arrives.
curl -N -H 'content-type: application/json' \
  -d '{"prompt": "Once upon a time", "params": {"max_new_tokens": 32}, "stream": true}' \
  "$WARMGEN_URL/v1/generations"
# -> id: job_….1.14
#    event: text
#    data: {"text":" there was a"}
#    …
#    id: job_….done
#    event: done
#    data: {"id":"job_…","status":"succeeded","result":{"text":" there was a…",…},…}

# Or follow a job submitted before (a queued job's stream waits, with ": heartbeat" lines).
curl -N "$WARMGEN_URL/v1/generations/$JOB_ID/stream"
