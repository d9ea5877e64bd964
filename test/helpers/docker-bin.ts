import { existsSync } from 'node:fs';

/**
 * The stock docker CLI the tests drive hakod with: the one this machine kind ships in
 * /usr/local/bin, else Debian's (scripts/install-deps.sh installs docker.io when no
 * docker is on PATH), so the CLI checks run instead of skipping on either machine.
 */
export const DOCKER_BIN = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p)) ?? '/usr/local/bin/docker';
