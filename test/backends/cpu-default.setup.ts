/** Setup file that runs a test suite on the plain TypeScript "cpu" backend (the oracle). */

import { setBackend } from "@tensorgrad/autograd";

setBackend("cpu");
