// Numbers as zh-CN writes them: grouped integers, fen as yuan, rates as percentages, whatever the language shown.
const INTEGER = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 0 });
const YUAN = new Intl.NumberFormat("zh-CN", { style: "currency", currency: "CNY" });
const PERCENT = new Intl.NumberFormat("zh-CN", { style: "percent", maximumFractionDigits: 1 });
const SIGNED_PERCENT = new Intl.NumberFormat("zh-CN", { style: "percent", maximumFractionDigits: 1,
  signDisplay: "exceptZero" });

export function num(value) {
  return value === undefined || value === null || Number.isNaN(Number(value)) ? "—" : INTEGER.format(Number(value));
}

export function yuan(fen) {
  return fen === undefined || fen === null ? "—" : YUAN.format(Number(fen) / 100);
}

export function pct(rate) {
  return rate === undefined || rate === null ? "—" : PERCENT.format(Number(rate));
}

// A difference of rates (a campaign's uplift) with its sign: "+2.5%", "-1%".
export function signedPct(rate) {
  return rate === undefined || rate === null ? "—" : SIGNED_PERCENT.format(Number(rate));
}

// The current month in Shanghai, "YYYY-MM" (month-end and the dashboard's default range).
export function shanghaiMonth(offset = 0) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .formatToParts(new Date());
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const index = get("year") * 12 + (get("month") - 1) + offset;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

// Today in Shanghai, "YYYY-MM-DD" (or `offset` days from today).
export function shanghaiDay(offset = 0) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit" }).format(new Date(Date.now() + offset * 86400000));
}
