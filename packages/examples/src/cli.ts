#!/usr/bin/env node
/** Entry point of the `tensorgrad-examples` binary. */

import { main } from "./cli-program.js";

await main();
