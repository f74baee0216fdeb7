// The whistle board's live countdowns: each .countdown holds the seconds
// left to its step's due instant by the server's clock when the page was
// written (data-left); this ticks them down every second from the page's
// load and marks them late past zero. Written as the server writes them:
// [-][Nd ]hh:mm:ss.
(function () {
  "use strict";
  var start = Date.now();
  var items = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-left]"));
  if (items.length === 0) {
    return;
  }
  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function text(left) {
    var sign = left < 0 ? "-" : "";
    var s = Math.abs(left);
    var days = Math.floor(s / 86400);
    var rest = s % 86400;
    var out = two(Math.floor(rest / 3600)) + ":" + two(Math.floor((rest % 3600) / 60)) + ":" + two(rest % 60);
    return sign + (days > 0 ? days + "d " + out : out);
  }
  function tick() {
    var gone = Math.floor((Date.now() - start) / 1000);
    items.forEach(function (el) {
      var left = parseInt(el.getAttribute("data-left"), 10) - gone;
      el.textContent = text(left);
      el.classList.toggle("late", left < 0);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
