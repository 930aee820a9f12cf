// The document's language follows the one the user picked. The shells carry it (`lang` on their
// root box, from the session's state); <html lang> is written once, when the app is built.
// Until the first shell appears every insertion is looked at; after that only changes of a
// `lang` attribute are (a shell shown later carries the same language as the one before it).
(() => {
  const follow = () => {
    const shell = document.body && document.body.querySelector("[lang]");
    if (shell && shell.lang && document.documentElement.lang !== shell.lang) {
      document.documentElement.lang = shell.lang;
    }
    return Boolean(shell);
  };
  const root = document.documentElement;
  new MutationObserver(follow).observe(root, {
    subtree: true,
    attributes: true,
    attributeFilter: ["lang"],
  });
  const first = new MutationObserver(() => follow() && first.disconnect());
  first.observe(root, { subtree: true, childList: true });
})();
