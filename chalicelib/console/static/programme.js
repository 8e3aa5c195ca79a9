// The programme's configuration, one section at a time (#/programme/<section>): each section is its own module.
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { benefitsSection } from "./prog_benefits.js";
import { c2bSection } from "./prog_c2b.js";
import { eventsSection } from "./prog_events.js";
import { plusSection } from "./prog_plus.js";
import { pointsSection } from "./prog_points.js";
import { rewardsSection } from "./prog_rewards.js";
import { storesSection } from "./prog_stores.js";

const SECTIONS = {
  points: pointsSection,
  benefits: benefitsSection,
  rewards: rewardsSection,
  stores: storesSection,
  events: eventsSection,
  c2b: c2bSection,
  plus: plusSection,
};

export function programmeView(root, section, ctx) {
  const name = SECTIONS[section] ? section : "points";
  const tabs = h("nav", { class: "tabs", "aria-label": t("nav_programme") }, Object.keys(SECTIONS).map((key) =>
    h("a", { href: `#/programme/${key}`, class: key === name ? "current" : "",
      "aria-current": key === name ? "page" : null }, t(`sec_${key}`))));
  const body = h("div", { class: "programme-body" });
  mount(root, h("section", { class: "programme", id: `programme-${name}` },
    h("h1", {}, t("nav_programme")), tabs, body));
  return SECTIONS[name](body, ctx);
}
