/*
 * Progress Portal: the version selector of the live portal and its monthly snapshots.
 *
 * Material's own selector looks for versions.json one folder above the site, which is the host's root when
 * the portal is served at http://host/portal/. This one draws Material's markup (its styles apply) but is
 * told where things are instead of guessing: the script tag carries the live portal's root (data-root) and
 * this site's base (data-base), both relative to the page; the list is archive/versions.json under the root,
 * its entries folders relative to archive/ ('..' is the live portal). Snapshots published before this
 * script read the same file with Material's selector, as ../versions.json. Choosing a version lands on the
 * same page there when it exists, else on the version's home, as Material's does.
 *
 * Plain ES2017, no build step. The selector's name comes from Material's own translations (#__config).
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || typeof fetch !== 'function') return;
  var root = new URL(script.getAttribute('data-root'), location.href);
  var base = new URL(script.getAttribute('data-base'), location.href);
  var archive = new URL('archive/', root);

  /** Material's translated words (select.version), or {} when the page carries none. */
  function translations() {
    var config = document.getElementById('__config');
    try {
      return (config && JSON.parse(config.textContent).translations) || {};
    } catch (e) {
      return {};
    }
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  /** The folder of a version, as an absolute URL ending in '/'. */
  function folder(version) {
    return new URL(String(version.version).replace(/\/*$/, '/'), archive).href;
  }

  /**
   * Where to go in the version at `target`: the page of the same path when the server has it, else the
   * version's home. Material asks the target's sitemap.xml, which MkDocs leaves empty without site_url; a
   * HEAD request asks the server itself, and needs no setting.
   */
  function landing(target) {
    if (location.pathname.indexOf(base.pathname) !== 0) return Promise.resolve(target);
    var url = new URL(location.pathname.slice(base.pathname.length), target);
    if (url.href === target) return Promise.resolve(target);
    return fetch(url.href, { method: 'HEAD' })
      .then(function (response) {
        if (!response.ok) return target;
        url.search = location.search;
        url.hash = location.hash;
        return url.href;
      })
      .catch(function () { return target; });
  }

  /** Material's selector markup, put where Material puts it. */
  function render(versions) {
    var topic = document.querySelector('.md-header__topic');
    if (!topic || !versions.length) return;
    var here = base.href;
    var current = versions.filter(function (v) { return folder(v) === here; })[0] || versions[0];
    var selector = element('div', 'md-version');
    var button = element('button', 'md-version__current', current.title);
    button.setAttribute('aria-label', translations()['select.version'] || '');
    var list = element('ul', 'md-version__list');
    versions.forEach(function (version) {
      if (version.properties && version.properties.hidden) return;
      var item = element('li', 'md-version__item');
      var link = element('a', 'md-version__link', version.title);
      link.href = folder(version);
      item.appendChild(link);
      list.appendChild(item);
    });
    selector.appendChild(button);
    selector.appendChild(list);
    topic.appendChild(selector);
    list.addEventListener('click', function (ev) {
      var link = ev.target instanceof Element ? ev.target.closest('a.md-version__link') : null;
      if (!link || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      landing(link.href).then(function (url) { location.assign(url); });
    });
  }

  fetch(new URL('versions.json', archive).href)
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(function (versions) { render(Array.isArray(versions) ? versions : []); })
    .catch(function () { /* no snapshot published, or the list unreadable: no selector */ });
})();
