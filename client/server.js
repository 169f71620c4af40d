// `instagram-push-kit/server`: kept for users of the single package this project used to publish. The
// server is the separate package instagram-push-kit-server (an optional peer): install it to use this.
export * from 'instagram-push-kit-server';
