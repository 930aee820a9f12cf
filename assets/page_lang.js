// The document's language follows the one the user picked. The shells carry it (`lang` on their
// root box, from the session's state); <html lang> is written once, when the app is built.
(() => {
  const follow = () => {
    const shell = document.body && document.body.querySelector("[lang]");
    if (shell && shell.lang && document.documentElement.lang !== shell.lang) {
      document.documentElement.lang = shell.lang;
    }
  };
  new MutationObserver(follow).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["lang"],
  });
  follow();
})();
