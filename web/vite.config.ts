import { sveltekit } from '@sveltejs/kit/vite'
import { defineConfig } from 'vite'

// `npm run dev:web` serves the screens with hot reload and sends the API to a running server
export default defineConfig({
  plugins: [sveltekit()],
  // Kit needs cookie@0.6 (its own copy); Fastify brings cookie@2 to the top of node_modules
  ssr: { noExternal: ['cookie'] },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/ws': { target: 'ws://127.0.0.1:3000', ws: true } } },
})
