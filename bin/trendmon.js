#!/usr/bin/env node
// The installed `trendmon` command: runs the compiled CLI (npm run build).
import '../dist/src/cli/main.js';
