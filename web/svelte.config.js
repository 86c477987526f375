import adapter from '@sveltejs/adapter-static'

/** The web app is a static single-page app served by the Fastify server on the same port. */
export default {
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: false }),
  },
}
