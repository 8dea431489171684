/* The Netspace ONE game page: shows the session's wallet, plays rounds, says every error in words.
   No dependencies; the page's JSON endpoints sit under its own URL, authorised by the token in it. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const config = JSON.parse($("game-config").textContent);
  const base = location.pathname.replace(/\/+$/, "");
  const picks = new Set();
  const page = { freeBets: [], busy: false, over: false };
  const amounts = new Intl.NumberFormat(config.locale, {
    minimumFractionDigits: config.decimals,
    maximumFractionDigits: config.decimals,
  });
  const factors = new Intl.NumberFormat(config.locale, { maximumFractionDigits: 2 });
  const dates = new Intl.DateTimeFormat(config.locale, { dateStyle: "medium", timeStyle: "short" });

  function t(key, values) {
    return config.strings[key].replace(/\{(\w+)\}/g, (whole, name) =>
      values && name in values ? String(values[name]) : whole);
  }
  const money = (value) => amounts.format(value) + "\u00a0" + config.currency;
  const range = () => ({ min: money(Number(config.min)), max: money(Number(config.max)) });
  const say = (text) => { $("status").textContent = text; };
  const fail = (text) => { $("error").textContent = text; };

  function showAmount(element, value) {
    const changed = element.dataset.value !== "" && element.dataset.value !== String(value);
    element.dataset.value = String(value);
    element.textContent = money(value);
    if (changed) {  // restart the highlight so every change is noticed
      element.classList.remove("flash");
      void element.offsetWidth;
      element.classList.add("flash");
    }
  }

  async function call(path, body) {
    const options = { headers: { Accept: "application/json" }, cache: "no-store" };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await (await fetch(base + path, options)).json();
    } catch (error) {
      throw { code: "NETWORK" };
    }
    if (!answer || answer.success !== true) throw (answer && answer.error) || { code: "UNKNOWN" };
    return answer;
  }

  function explain(error, during) {
    switch (error.code) {
      case "INVALID_SESSION":
        page.over = true;
        $("play").disabled = true;
        return t("err_expired");
      case "WEBHOOK_ERROR":
        return t(during === "round" ? "err_wallet_round" : "err_wallet_balance");
      case "INVALID_STATE":
        return t("err_free_bet");
      case "INSUFFICIENT_BALANCE":
        return t("err_insufficient");
      case "NETWORK":
        return t("err_network");
      case "INVALID_REQUEST": {
        const paths = ((error.details && error.details.errors) || []).map((e) => e.path);
        if (paths.includes("$.amount")) return t("err_stake", range());
        if (paths.includes("$.numbers")) return t("err_picks");
        return t("err_generic");
      }
      default:
        return t("err_generic");
    }
  }

  function showWallet(answer) {
    if (typeof answer.balance === "number") showAmount($("balance"), answer.balance);
    const jackpot = config.lottery ? answer.jackpot : null;
    $("jackpot-card").hidden = !jackpot;
    if (jackpot) showAmount($("jackpot"), jackpot.amount);
    page.freeBets = answer.free_bets || [];
    const first = page.freeBets[0];
    $("free-bet-card").hidden = $("free-bet-toggle").hidden = !first;
    if (!first) {
      $("use-free-bet").checked = false;
      return;
    }
    showAmount($("free-bet"), first.remaining_amount);
    const scope = t(first.game_id ? "free_bet_this_game" : "free_bet_any_game");
    const until = t("free_bet_until", { date: dates.format(new Date(first.expires_at)) });
    $("free-bet-note").textContent = scope + " · " + until;
    $("free-bet-left").textContent = "· " + t("free_bet_left", { amount: money(first.remaining_amount) });
  }

  async function load() {
    try {
      showWallet(await call("/state"));
    } catch (error) {
      $("balance").textContent = "—";
      fail(explain(error, "state"));
    }
  }

  // ---- Lotterix picks ----
  function showPicks() {
    for (const button of document.querySelectorAll(".num")) {
      button.setAttribute("aria-pressed", String(picks.has(Number(button.dataset.n))));
      button.classList.remove("hit");
    }
    $("pick-count").textContent = t("picked", { count: picks.size });
  }

  function toggle(button) {
    const n = Number(button.dataset.n);
    if (picks.has(n)) picks.delete(n);
    else if (picks.size >= config.picks) return void ($("pick-count").textContent = t("picks_full"));
    else picks.add(n);
    showPicks();
  }

  function quickPick() {
    const pool = Array.from(document.querySelectorAll(".num"), (b) => Number(b.dataset.n));
    picks.clear();
    while (picks.size < config.picks) picks.add(pool[Math.floor(Math.random() * pool.length)]);
    showPicks();
  }

  function ball(n, hit) {
    const element = document.createElement("span");
    element.className = hit ? "ball hit" : "ball";
    element.textContent = String(n);
    return element;
  }

  // ---- a round ----
  function readStake() {
    const text = $("stake").value.trim();
    const value = Number(text);
    const scaled = value * 10 ** config.decimals;
    const exact = Math.abs(scaled - Math.round(scaled)) < 1e-6;
    const inside = value >= Number(config.min) && value <= Number(config.max);
    return text !== "" && Number.isFinite(value) && exact && inside ? value : null;
  }

  function setBusy(on) {
    // aria-disabled, not disabled: a disabled button drops the keyboard focus mid-game.
    page.busy = on;
    $("play").setAttribute("aria-disabled", String(on));
    $("play").textContent = t(on ? "playing" : "play");
  }

  function showResult(round, useFreeBet, amount) {
    const result = round.result || {};
    const win = Number(round.win_amount || 0);
    const card = $("result");
    Object.assign(card.dataset, {
      roundId: round.round_id,
      status: round.status,
      charged: useFreeBet ? "0" : String(amount),  // what the balance paid for this round
      win: String(win),
    });
    card.hidden = false;
    const drawn = result.drawn || null;
    $("drawn-block").hidden = !drawn;
    $("result-detail").classList.toggle("multiplier", !drawn);
    const factor = t("multiplier", { value: factors.format(result.multiplier || 0) });
    if (drawn) {
      const picked = new Set(result.numbers || []);
      $("drawn").replaceChildren(...drawn.map((n) => ball(n, picked.has(n))));
      for (const button of document.querySelectorAll(".num")) {
        const n = Number(button.dataset.n);
        button.classList.toggle("hit", picked.has(n) && drawn.includes(n));
      }
      $("result-detail").textContent = t("matches", { count: result.matches }) + " · " + factor;
    } else {
      $("result-detail").textContent = factor;
    }
    let headline = t("lost");
    if (round.is_jackpot) headline = t("jackpot_won", { amount: money(win) });
    else if (win > 0) headline = t("won", { amount: money(win) });
    $("result-win").textContent = headline;
    $("result-win").classList.toggle("won", win > 0);
    const notes = [];
    if (round.free_bet_id) notes.push(t("paid_by_free_bet"));
    if (round.status === "open" && win > 0) notes.push(t("win_pending", { amount: money(win) }));
    $("result-note").textContent = notes.join(" ");
    say(headline);
  }

  async function play(event) {
    event.preventDefault();
    if (page.busy || page.over) return;
    fail("");
    say("");
    const amount = readStake();
    if (amount === null) return fail(t("err_stake", range()));
    const body = { amount };
    if (config.lottery) {
      if (picks.size !== config.picks) return fail(t("err_picks"));
      body.numbers = Array.from(picks).sort((a, b) => a - b);
    }
    const useFreeBet = $("use-free-bet").checked && !$("free-bet-toggle").hidden;
    if (useFreeBet) body.use_free_bet = true;
    setBusy(true);
    try {
      const answer = await call("/round", body);
      if (answer.refusal === "INSUFFICIENT_BALANCE") fail(t("err_insufficient"));
      else if (answer.refusal) fail(t("err_refused", { code: answer.refusal }));
      else showResult(answer.round, useFreeBet, amount);
      showWallet(answer);
    } catch (error) {
      fail(explain(error, "round"));
    } finally {
      setBusy(false);
    }
  }

  function fitStakeToFreeBet() {
    // A free bet pays the whole stake or nothing: offer a stake it can pay.
    const most = Math.max(0, ...page.freeBets.map((fb) => fb.remaining_amount));
    const stake = readStake();
    if ($("use-free-bet").checked && most > 0 && (stake === null || stake > most)) {
      $("stake").value = Math.min(most, Number(config.max)).toFixed(config.decimals);
    }
  }

  for (const button of document.querySelectorAll(".num")) button.addEventListener("click", () => toggle(button));
  if (config.lottery) {
    $("quick-pick").addEventListener("click", quickPick);
    $("clear-picks").addEventListener("click", () => { picks.clear(); showPicks(); });
  }
  $("use-free-bet").addEventListener("change", fitStakeToFreeBet);
  $("stake").addEventListener("change", () => {
    const stake = readStake();  // shown as the currency writes it: 2 → 2.00
    if (stake !== null) $("stake").value = stake.toFixed(config.decimals);
  });
  $("play-form").addEventListener("submit", play);
  $("stake-hint").textContent = t("stake_range", range());
  load();
})();
