// A bad setting or configuration file: main.ts prints its message as one line and exits with 2. Its own
// module so the setting grammar (and through it the command line) need not load the config file's schema.
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
