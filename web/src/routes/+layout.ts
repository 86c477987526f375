// A single-page app: the Fastify server serves the built files and the API on one port.
export const ssr = false
export const prerender = false
