#!/usr/bin/env node
// The warmgen command line; its commands land with the CLI slice of issue 15.
process.stderr.write('warmgen: no commands yet\n');
process.exitCode = 2;
