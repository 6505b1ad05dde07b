// The headless Chromium the peers run in (run.mjs, bench.mjs). playwright-core is the e2e tests'
// dependency; it is resolved from there.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(join(here, "..", "e2e", "package.json"))("playwright-core");

export function launchChromium() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
        // --enable-unsafe-webgpu is what exposes WebGPU in headless Chromium (on a machine without
        // a GPU the adapter is SwiftShader, on the CPU); WebGL2 is there without flags (ANGLE on
        // SwiftShader). --enable-features=Vulkan, --use-angle=swiftshader and
        // --use-webgpu-adapter=swiftshader changed nothing here (Chromium 156, no GPU), so they
        // are left out: on a machine with a GPU they would force the software path.
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--enable-unsafe-webgpu"],
    });
}
