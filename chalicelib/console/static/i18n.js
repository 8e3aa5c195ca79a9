// Labels in zh-CN (default) and English (the browser prefers English, or the staff member switches).
import { OPS_LABELS } from "./ops_labels.js";

const LABELS = {
  ...OPS_LABELS,
  title: ["客服工作台", "Agent console"],
  nav_queue: ["工单队列", "Queue"],
  nav_claims: ["补录积分", "Points claims"],
  sign_in: ["登录", "Sign in"],
  sign_out: ["退出", "Sign out"],
  username: ["用户名", "Username"],
  password: ["密码", "Password"],
  totp: ["动态验证码（已绑定身份验证器时）", "Authenticator code (if enrolled)"],
  session_expired: ["登录已过期，请重新登录", "Your session has expired: sign in again"],
  lang_switch: ["English", "中文"],
  view_open: ["待认领", "Open"],
  view_mine: ["我认领的", "Claimed by me"],
  view_all: ["全部", "All"],
  group_by_cause: ["按失败原因分组", "Group by failure cause"],
  refreshed: ["更新于", "Updated"],
  refresh: ["刷新", "Refresh"],
  col_member: ["会员号", "Member"],
  col_tier: ["等级", "Tier"],
  col_what: ["失败内容", "What failed"],
  col_attempts: ["尝试次数", "Attempts"],
  col_respond: ["响应剩余", "Respond within"],
  col_close: ["结案剩余", "Close within"],
  col_status: ["状态", "Status"],
  col_claimed_by: ["认领人", "Claimed by"],
  empty_queue: ["没有工单", "No cases"],
  overdue: ["已超时", "overdue"],
  responded: ["已响应", "responded"],
  done: ["已结案", "closed"],
  cases: ["个工单", "cases"],
  resolve_group: ["批量处理", "Resolve all"],
  resolution: ["处理方式", "Resolution"],
  note: ["备注", "Note"],
  bulk_done: ["批量处理：成功 {ok}，失败 {failed}", "Bulk resolve: {ok} resolved, {failed} failed"],
  keys_help: ["快捷键：j/k 上下移动，Enter 打开，c 认领", "Keys: j/k move, Enter opens, c claims"],
  // Actions (the English labels are fixed by the product)
  claim: ["认领", "Claim"],
  release: ["释放", "Release"],
  retry: ["重试", "Retry"],
  refund: ["退款", "Refund"],
  complete_manually: ["人工完成", "Complete manually"],
  cancel: ["取消", "Cancel"],
  add_note: ["添加备注", "Add note"],
  approve: ["通过", "Approve"],
  reject: ["驳回", "Reject"],
  confirm: ["确认", "Confirm"],
  back: ["返回", "Back"],
  // Dialogs
  confirm_refund: ["退回积分和库存并结案？", "Refund the points and the stock, and close the case?"],
  confirm_complete_manually: ["确认已人工完成并结案？", "Mark as completed by hand and close the case?"],
  confirm_cancel: ["取消该交易（不退回积分）并结案？", "Cancel the transaction (no points back) and close the case?"],
  confirm_retry: ["立即重试该交易？", "Retry the transaction now?"],
  confirm_approve: ["通过该补录申请并发放积分？", "Approve the claim and award its points?"],
  confirm_reject: ["驳回该补录申请", "Reject the claim"],
  confirm_bulk: ["批量处理 {n} 个工单", "Resolve {n} cases"],
  reason: ["驳回原因（会员可见）", "Reason (the member sees it)"],
  // Case page
  case: ["工单", "Case"],
  transaction: ["交易", "Transaction"],
  attempts: ["尝试记录", "Attempts"],
  timeline: ["处理记录", "Timeline"],
  notes: ["备注", "Notes"],
  record: ["业务记录", "Record"],
  member: ["会员", "Member"],
  phone: ["手机", "Phone"],
  phone_hidden: ["认领后显示完整号码", "Full number shown once you claim the case"],
  tier: ["等级", "Tier"],
  plus: ["Plus 会员", "Plus"],
  points: ["积分", "Points"],
  balance: ["余额", "Balance"],
  expiring: ["即将过期", "Expiring soon"],
  ledger: ["最近积分明细", "Recent ledger"],
  redemptions: ["兑换", "Redemptions"],
  vouchers: ["权益券", "Vouchers"],
  appointments: ["预约", "Appointments"],
  events: ["活动", "Events"],
  product_requests: ["C2B 产品需求", "Product requests (C2B)"],
  quantity: ["数量", "Quantity"],
  reg_registered: ["已报名", "registered"],
  reg_waitlisted: ["候补", "waitlisted"],
  reg_waitlisted_at: ["候补第 {n} 位", "waitlisted, #{n}"],
  reg_checked_in: ["已签到", "checked in"],
  reg_cancelled: ["已取消", "cancelled"],
  reg_invited: ["已邀请", "invited"],
  other_cases: ["其他未结工单", "Other open cases"],
  surveys: ["服务评价", "Surveys"],
  case_survey: ["本工单的满意度评价", "This case's survey"],
  score: ["评分", "Score"],
  first_contact: ["首次联系即解决", "Solved at first contact"],
  yes: ["是", "Yes"],
  no: ["否", "No"],
  survey_open: ["待评价", "Not answered yet"],
  survey_expired: ["已过期", "Expired"],
  survey_answered: ["已评价", "Answered"],
  none: ["无", "None"],
  at: ["时间", "When"],
  by: ["操作人", "Who"],
  what: ["内容", "What"],
  where: ["环节", "Where"],
  error: ["错误", "Error"],
  result: ["结果", "Result"],
  ok: ["成功", "ok"],
  failed: ["失败", "failed"],
  back_to_queue: ["返回队列", "Back to the queue"],
  // Claims
  claims_pending: ["待审核的补录申请", "Pending points claims"],
  order_no: ["订单号", "Order"],
  amount: ["金额", "Amount"],
  purchased_on: ["消费日期", "Purchased on"],
  store: ["门店", "Store"],
  created_at: ["提交时间", "Submitted"],
  customer: ["会员", "Member"],
  no_claims: ["没有待审核的申请", "No pending claims"],
  // Statuses and kinds
  status_open: ["待认领", "open"],
  status_claimed: ["已认领", "claimed"],
  status_resolved: ["已结案", "resolved"],
  kind_redemption_fulfillment: ["兑换发放", "Redemption fulfilment"],
  kind_callback: ["满意度回访", "Survey callback"],
  res_completed_manually: ["人工完成", "completed manually"],
  res_refunded: ["已退回", "refunded"],
  res_cancelled: ["已取消", "cancelled"],
  res_completed_by_retry: ["重试成功", "completed by retry"],
  points_unit: ["积分", "points"],
  network_error: ["网络错误，请稍后重试", "Network error: try again"],
};

const STORE_KEY = "console.lang";

function initial() {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved === "zh" || saved === "en") return saved;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  const first = String(prefs[0] || "").toLowerCase();
  return first.startsWith("en") ? "en" : "zh";
}

let lang = initial();

export function language() { return lang; }

export function setLanguage(value) {
  lang = value === "en" ? "en" : "zh";
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
}

export function t(key, vars = {}) {
  const pair = LABELS[key];
  let text = pair ? pair[lang === "en" ? 1 : 0] : key;
  for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, String(value));
  return text;
}

export function has(key) { return key in LABELS; }

export function acceptLanguage() { return lang === "en" ? "en" : "zh-CN"; }

export function applyStatic(root = document) {
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  document.title = t("title");
}
