// Inert fixture: 127.0.0.1 and .invalid only.
const net = require('net'), dns = require('dns'), cp = require('child_process'), fs = require('fs');
fs.readFileSync(process.env.HOME + '/.npmrc');
net.connect(9, '127.0.0.1').on('error', () => {});
dns.lookup('lookup.invalid', () => {});
cp.execSync('echo hi > /dev/null');
cp.spawn('sleep', ['30'], {detached: true, stdio: 'ignore'}).unref();
