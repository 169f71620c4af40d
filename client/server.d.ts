// `instagram-push-kit/server`: the separate package instagram-push-kit-server, re-exported for users of
// the single package this project used to publish. Install instagram-push-kit-server to use it.
export * from 'instagram-push-kit-server';
