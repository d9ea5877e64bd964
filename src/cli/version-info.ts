/** The CLI's version, printed by `hako version` and `hako -v`. */
export const CLI_VERSION = '0.1.0';
export const CLI_COMMIT = 'hako';
