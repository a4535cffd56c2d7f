// The Vue 3 test app: single-file components compiled at build time (as Vite or vue-loader
// would), v-model inputs, a form with @submit.prevent, and routes from vue-router.
import { createApp } from "vue";
import { createRouter, createWebHistory } from "vue-router";
import App from "./App.vue";
import SignupForm from "./SignupForm.vue";
import About from "./About.vue";

const root = document.getElementById("app");
const router = createRouter({
  history: createWebHistory(root.dataset.base),
  routes: [
    { path: "/", name: "form", component: SignupForm },
    { path: "/about", name: "about", component: About },
  ],
});
createApp(App).use(router).mount(root);
