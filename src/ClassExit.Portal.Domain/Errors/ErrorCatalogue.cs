using System.Collections.Frozen;

namespace ClassExit.Portal.Domain.Errors;

/// <summary>One refusal reason, in both languages, with what to do about it.</summary>
public sealed record ErrorDefinition(int Code, int HttpStatus, string MessageZh, string MessageEn, string RemedyZh, string RemedyEn)
{
    public string Message(bool english) => english ? MessageEn : MessageZh;
    public string Remedy(bool english) => english ? RemedyEn : RemedyZh;
}

/// <summary>
/// The one error catalogue: code → message (zh-CN, en) → remedy. The UI, the API and the audit log all speak these codes.
/// Codes and HTTP statuses are those of api.md; further codes follow its style.
/// </summary>
public static class ErrorCatalogue
{
    public const int InvalidReasonCode = 40001;
    public const int MalformedRequest = 40002;
    public const int TextTooLong = 40003;
    public const int RequestBodyTooLarge = 41301;
    public const int Unauthenticated = 40101;
    public const int NoHrPermission = 40301;
    public const int Forbidden = 40302;
    public const int OperatorNotKeyOwner = 40303;
    public const int NotFound = 40401;
    public const int IdempotencyConflict = 40901;
    public const int IdempotencyInProgress = 40902;
    public const int QuotaExhausted = 42901;
    public const int RateLimited = 42902;
    public const int TooManyConcurrentBatches = 42903;
    public const int UnfinishedApproval = 50031;
    public const int DeviceClockSkew = 50089;
    public const int ClientTooOld = 50177;
    public const int OwnerMustTransfer = 50101;
    public const int ClassAdminMustHandOver = 50102;
    public const int UnfinishedOwnContent = 50103;
    public const int TeacherDutiesNotHandedOver = 50104;
    public const int HandoverChecklistIncomplete = 50105;
    public const int HandoverPlanInvalid = 50106;
    public const int ClassBlacklisted = 50201;
    public const int FreezeWindow = 50202;
    public const int KeyClassResignationIncomplete = 50203;
    public const int DeviceNotBound = 50204;
    public const int DeviceNotRegistered = 50205;
    public const int NotActiveMember = 50301;
    public const int ClassDissolved = 50302;
    public const int RequestAlreadyDecided = 50401;
    public const int SelfApproval = 50402;
    public const int RejectReasonRequired = 50403;
    public const int StepUpFailed = 50404;
    public const int AdminCannotSelfExit = 50405;
    public const int RequesterCannotDecide = 50406;
    public const int DeciderLeavingClass = 50407;
    public const int InternalError = 50000;
    public const int TransferTargetNotEligible = 50501;
    public const int TransferAlreadyPending = 50502;
    public const int TransferExpired = 50503;
    public const int TransferNotAllowed = 50504;
    public const int TransferNotPending = 50505;
    public const int TransferNotAddressedToYou = 50506;
    public const int ProposerCannotAccept = 50507;
    public const int DeclineReasonRequired = 50701;
    public const int PolicyValueOutOfRange = 50702;
    public const int BatchFileTooLarge = 50703;
    public const int BatchFileInvalid = 50704;
    public const int BatchNothingToRun = 50705;
    public const int ExportTooLarge = 50601;
    public const int ExportPasswordTooWeak = 50602;
    public const int NothingToExport = 50603;
    public const int CannotChangeOwnAccount = 50801;
    public const int LastEnterpriseAdmin = 50802;
    public const int EmailAlreadyUsed = 50803;
    public const int MemberHasAccount = 50804;
    public const int UnknownEventKind = 50901;
    public const int SecurityNotificationRequired = 50902;
    public const int WebhookUrlInvalid = 50921;
    public const int WebhookAddressInternal = 50922;
    public const int WebhookHostUnresolved = 50923;
    public const int WebhookEndpointLimit = 50924;
    public const int WebhookNoEvents = 50925;
    public const int WebhookEndpointDisabled = 50926;
    // 510xx: the deployment itself (issue 19): start-up refusals and the migrate command. Printed on the console, not answered to users.
    public const int SchemaBehind = 51001;
    public const int DataProtectionCertificateUnusable = 51002;
    public const int MigrationFailed = 51003;
    public const int SchemaAhead = 51004;
    public const int MetricsKeyRequired = 51011;
    public const int CspReportsRateLimited = 51012;

    private static readonly FrozenDictionary<int, ErrorDefinition> Definitions = new ErrorDefinition[]
    {
        new(InvalidReasonCode, 400, "事由编码必须是本组织的6位数字编码。", "reason_code must be exactly 6 digits and one of the organisation's reason codes.",
            "使用 GET /api/v1/reason-codes 返回的编码。", "Use a code returned by GET /api/v1/reason-codes."),
        new(MalformedRequest, 400, "请求格式不正确。", "The request is malformed.",
            "检查必填字段、JSON 格式和列表长度后重试。", "Check required fields, JSON syntax and list lengths, then retry."),
        new(TextTooLong, 400, "输入的文字超过了该字段的长度上限（字段与上限见详情；各字段上限见 docs/limits.md）。",
            "A text field is longer than its maximum (the field and its maximum are in the details; every maximum is in docs/limits.md).",
            "缩短该文字，使其不超过上限后重试。", "Shorten the text to at most the maximum, then retry."),
        new(RequestBodyTooLarge, 413, "请求正文超过了该接口的大小上限。", "The request body is larger than this endpoint accepts.",
            "缩小请求正文（如分批发送）后重试；上限见 max_bytes。", "Send a smaller body (for example in several batches); the limit is in max_bytes."),
        new(Unauthenticated, 401, "缺少 API 密钥，或密钥未知、已吊销。", "The API key is missing, unknown or revoked.",
            "在门户中创建密钥，并以 Authorization: Bearer <key> 发送。", "Create a key in the portal and send it as Authorization: Bearer <key>."),
        new(NoHrPermission, 403, "operator_id 对应的账号没有 HR 权限。", "operator_id does not have HR permission.",
            "使用具备 HR 权限的成员（如 GET /api/v1/me 返回的 owner_member_id）。", "Use a member with HR permission, e.g. owner_member_id from GET /api/v1/me."),
        new(Forbidden, 403, "您无权执行此操作。", "You are not allowed to do this.",
            "请联系企业管理员授予相应角色。", "Ask an enterprise admin for the role that allows it."),
        new(OperatorNotKeyOwner, 403, "operator_id 必须是该 API 密钥的所有者。", "operator_id must be the owner of the API key.",
            "使用 GET /api/v1/me 返回的 owner_member_id，或使用该 HR 成员自己的密钥。", "Use owner_member_id from GET /api/v1/me, or that HR member's own key."),
        new(NotFound, 404, "在本组织中找不到该班级或成员。", "Class or member not found in this organisation.",
            "检查编号是否属于本组织。", "Check that the id belongs to this organisation."),
        new(IdempotencyConflict, 409, "Idempotency-Key 已用于不同的请求内容。", "The Idempotency-Key was already used with a different body.",
            "为新的请求使用新的 Idempotency-Key。", "Use a new Idempotency-Key for a new request."),
        new(IdempotencyInProgress, 409, "使用该 Idempotency-Key 的请求仍在处理中。", "A request with this Idempotency-Key is still in progress.",
            "按 Retry-After 等待后用相同的密钥和内容重试，将得到已存储的响应。", "Wait for Retry-After, then retry with the same key and body to get the stored response."),
        new(QuotaExhausted, 429, "本组织今日的批量调用配额已用完。", "The organisation's daily call quota is used up.",
            "等待配额在组织当地时间零点重置，或在门户申请提高配额。", "Wait for the reset at local midnight, or request a higher quota in the portal."),
        new(RateLimited, 429, "调用过于频繁：已超过该 API 密钥或本组织的调用速率限制。", "Too many calls: the rate limit of this API key or of the organisation is reached.",
            "等待 Retry-After 所示的秒数后重试，并降低调用频率。", "Wait the number of seconds given in Retry-After, then retry at a lower rate."),
        new(TooManyConcurrentBatches, 429, "本组织同时进行的批量调用过多。", "Too many bulk-exit batches of the organisation are running at once.",
            "等待正在进行的批量调用完成（Retry-After 秒）后重试；请依次提交批量调用。", "Wait for a running batch to finish (Retry-After seconds), then retry; send batches one after another."),
        new(UnfinishedApproval, 409, "该班级存在未完成的审批流程。", "The class has an unfinished approval process for this member.",
            "请管理员终止或完成现有审批后重试。", "Ask an admin to end or decide the open approval, then retry."),
        new(DeviceClockSkew, 422, "设备时间不同步，证书失效。", "Device time out of sync; the certificate is invalid.",
            "校准设备时区和时钟后重试。", "Correct the device time zone and clock, then retry."),
        new(ClientTooOld, 422, "客户端版本过低。", "The client version is too old.",
            "请升级客户端至 3.1.10 或更高版本。", "Upgrade the client to 3.1.10 or later."),
        new(OwnerMustTransfer, 409, "班级创建者不能直接退出。", "The class owner cannot leave directly.",
            "请先转让班级所有权或解散班级。", "Transfer ownership or dissolve the class first."),
        new(ClassAdminMustHandOver, 409, "班级管理员不能直接退出。", "A class admin cannot leave directly.",
            "请先将班级管理员角色移交给其他成员。", "Hand the class admin role over to another member first."),
        new(UnfinishedOwnContent, 409, "您创建的直播或作业尚未结束。", "You created a live stream or assignment that is not finished.",
            "结束直播、关闭作业并完成批改后再退出。", "End the live stream and close and grade the assignment before leaving."),
        new(TeacherDutiesNotHandedOver, 409, "教师职责尚未全部交接。", "Not all of the teacher's duties are handed over.",
            "为每项未完成的作业批改和直播指定一位本班在职教师。", "Assign every open grading duty and live stream to another active teacher of the class."),
        new(HandoverChecklistIncomplete, 409, "该班级的交接清单尚未完成。", "The class's handover checklist is not complete for this member.",
            "完成清单中的所有交接事项后再退出。", "Complete every item of the handover checklist, then leave."),
        new(HandoverPlanInvalid, 409, "交接计划无效：接收人必须是本班的在职教师。", "The handover plan is invalid: each duty must go to another active teacher of the class.",
            "为每项职责选择本班另一位在职教师或班级管理员。", "Choose another active teacher or class admin of the class for each duty."),
        new(ClassBlacklisted, 409, "该班级在组织的退出黑名单中。", "The class is on the organisation's exit blacklist.",
            "如确需退出，请联系企业管理员。", "Contact an enterprise admin if the exit is really needed."),
        new(FreezeWindow, 409, "学期末冻结期内不能退出班级。", "Exits are frozen before the end of term.",
            "请在 exit_possible_from 所示日期之后再退出。", "Leave on or after the date given in exit_possible_from."),
        new(KeyClassResignationIncomplete, 409, "离职手续完成前不能退出关键班级，已触发安全审计告警。", "A key class cannot be left before the resignation is complete; a security alert was raised.",
            "完成离职手续后再退出，或联系安全管理员。", "Complete the resignation first, or contact the security officer."),
        new(DeviceNotBound, 422, "该设备未绑定到此成员。", "The device is not bound to the member.",
            "请在已绑定的设备上操作，或请管理员绑定此设备。", "Use a bound device, or ask an admin to bind this one."),
        new(DeviceNotRegistered, 422, "该设备未登记在此成员名下。", "The device is not registered to the member.",
            "请在该成员自己登录过的设备上操作；X-Device-Id 必须是 GET /api/v1/members/{id}/devices 列出的设备。", "Use a device the member has signed in on; X-Device-Id must be one listed by GET /api/v1/members/{id}/devices."),
        new(NotActiveMember, 409, "该成员不是此班级的在班成员。", "Not an active member of the class.",
            "刷新成员列表；该成员可能已退出。", "Refresh the member list; the member may have left already."),
        new(ClassDissolved, 409, "该班级已解散，只读。", "The class is dissolved and read-only.",
            "无需操作：解散时所有成员已退出。", "Nothing to do: every member left when it was dissolved."),
        new(RequestAlreadyDecided, 409, "该申请已被其他人处理。", "The request was already decided by someone else.",
            "刷新列表查看最终结果。", "Refresh the list to see the decision that stands."),
        new(SelfApproval, 403, "不能审批自己的退出申请。", "Nobody may decide their own exit request.",
            "请另一位管理员审批。", "Ask another approver to decide it."),
        new(RejectReasonRequired, 400, "拒绝时必须填写原因。", "A reason is required to reject.",
            "填写拒绝原因后重试。", "Enter a reason for the rejection and retry."),
        new(StepUpFailed, 403, "身份再次验证失败。", "Re-verification of your identity failed.",
            "重新输入您的登录密码；已开启双重验证时，输入身份验证器应用中的验证码。", "Enter your sign-in password again, or the code from your authenticator app if two-factor sign-in is on."),
        new(InternalError, 500, "服务器内部错误，操作未执行。", "An internal error occurred; nothing was changed.",
            "稍后重试；如持续发生，请将 trace_id 提供给管理员。", "Retry later; if it persists, give the trace_id to an administrator."),
        new(SchemaBehind, 503, "数据库结构落后于此版本的门户：有迁移尚未应用，门户拒绝启动。",
            "The database schema is behind this version of the portal: migrations are not applied, so the portal refuses to start.",
            "用有 DDL 权限的连接执行 `dotnet ClassExit.Portal.dll migrate`（ConnectionStrings:<Provider>Migrations，见 docs/deploy.md），再启动门户。",
            "Run `dotnet ClassExit.Portal.dll migrate` with the privileged connection (ConnectionStrings:<Provider>Migrations, docs/deploy.md), then start the portal."),
        new(DataProtectionCertificateUnusable, 500, "无法使用 DataProtection:CertificatePath 指定的证书保护密钥环。",
            "The certificate named by DataProtection:CertificatePath cannot protect the key ring.",
            "检查文件路径、DataProtection:CertificatePassword，以及证书是否带私钥（PFX/PKCS#12）。",
            "Check the file path, DataProtection:CertificatePassword, and that the certificate is a PFX/PKCS#12 file with its private key."),
        new(MigrationFailed, 500, "迁移未能完成；失败的迁移已回滚，之前已完成的迁移保留。",
            "The migration did not complete; the failing migration was rolled back, the ones before it stay applied.",
            "查看上面的数据库错误，确认迁移账号有 DDL 权限，修正后再次执行 migrate（已应用的迁移会被跳过）。",
            "Read the database error above, check that the migration account has DDL rights, fix it and run migrate again (applied migrations are skipped)."),
        new(SchemaAhead, 503, "数据库已应用了此版本门户不认识的迁移（数据库比门户新）。",
            "The database has migrations this version of the portal does not know (the database is newer than the portal).",
            "部署与数据库相同或更新版本的门户；不要用旧版本门户连接已升级的数据库。",
            "Deploy the portal version that matches the database, or a newer one; do not point an older portal at an upgraded database."),
        new(TransferTargetNotEligible, 409, "新创建者必须是本班的在班教师或班级管理员。", "The new owner must be an active teacher or class admin of the class.",
            "先将其设为本班教师或班级管理员，再发起转让。", "Make them a teacher or class admin of the class first, then propose again."),
        new(TransferAlreadyPending, 409, "该班级已有待处理的所有权转让。", "The class already has a pending ownership transfer.",
            "等待对方处理，或先取消现有转让。", "Wait for the answer, or cancel the pending transfer first."),
        new(TransferExpired, 409, "该转让已过期。", "The transfer has expired.",
            "请创建者重新发起转让。", "Ask the owner to propose the transfer again."),
        new(TransferNotAllowed, 403, "只有班级创建者或企业管理员可以转让或解散班级。", "Only the class owner or an enterprise admin may transfer or dissolve the class.",
            "请联系班级创建者或企业管理员。", "Ask the class owner or an enterprise admin."),
        new(TransferNotPending, 409, "该转让已被处理。", "The transfer was already decided.",
            "刷新页面查看最终结果。", "Refresh to see the outcome that stands."),
        new(TransferNotAddressedToYou, 403, "该转让不是发给您的。", "The transfer is not addressed to you.",
            "只有被提名的新创建者可以接受或拒绝。", "Only the proposed new owner can accept or decline it."),
        new(ProposerCannotAccept, 403, "发起转让的人不能接受自己发起的转让。", "Whoever proposed a transfer cannot accept it.",
            "请由另一位企业管理员或班级创建者向您发起转让。", "Have another enterprise admin or the class owner propose it to you."),
        new(DeclineReasonRequired, 400, "拒绝转让时必须填写原因。", "A reason is required to decline a transfer.",
            "填写原因后重试；发起人会看到该原因。", "Enter a reason and retry; whoever proposed the transfer is told it."),
        new(PolicyValueOutOfRange, 400, "策略取值超出允许范围，未保存。", "A policy value is outside its allowed range; nothing was saved.",
            "按字段旁的提示输入范围内的数值后重试。", "Enter a value within the range shown at the field and retry."),
        new(BatchFileTooLarge, 413, "上传的 CSV 文件超过大小或行数上限。", "The uploaded CSV file is larger than the size or line limit.",
            "拆分为多个文件，或改为按班级选择。", "Split it into several files, or pick classes instead."),
        new(BatchFileInvalid, 400, "CSV 文件中有无法识别的行，未执行任何操作。", "The CSV file has lines that cannot be read; nothing was run.",
            "按逐行错误修正文件（每行一个工号，可带 employee_no 表头）后重新上传。", "Fix the lines listed (one employee number a line, optional employee_no header) and upload it again."),
        new(BatchNothingToRun, 400, "没有可退出的对象：请选择班级或上传工号。", "Nothing to run: pick classes or upload employee numbers.",
            "至少选择一个班级，或上传至少一个工号。", "Pick at least one class or upload at least one employee number."),
        new(ExportTooLarge, 413, "导出超过 2 GB 上限。", "The export is larger than the 2 GB limit.",
            "按班级分别导出，或缩小范围。", "Export class by class, or narrow it down."),
        new(ExportPasswordTooWeak, 400, "导出密码至少 12 个字符。", "The export password needs at least 12 characters.",
            "设置更长的密码，并通过其他渠道告知接收人。", "Choose a longer password and give it to the recipient another way."),
        new(NothingToExport, 404, "该成员在此班级没有可导出的消息。", "The member has no messages in this class to export.",
            "消息可能已被清理，请查看保留时间线。", "They may have been purged already: see the retention timeline."),
        new(CannotChangeOwnAccount, 409, "不能以这种方式更改您自己的账号。", "You cannot change your own account this way.",
            "请另一位企业管理员操作；修改自己的密码请前往“账号”页面。", "Ask another enterprise admin; change your own password on the Account page."),
        new(LastEnterpriseAdmin, 409, "组织必须保留至少一位已启用的企业管理员。", "The organisation must keep at least one enabled enterprise admin.",
            "先将另一个账号设为企业管理员并启用，再执行此操作。", "Make another account an enabled enterprise admin first, then retry."),
        new(EmailAlreadyUsed, 409, "该邮箱已被另一个门户账号使用。", "The e-mail address is already used by another portal account.",
            "使用其他邮箱，或在用户列表中找到并管理现有账号。", "Use another address, or find and manage the existing account in the user list."),
        new(MemberHasAccount, 409, "该成员已有门户账号。", "The member already has a portal account.",
            "在用户列表中管理现有账号，或选择一位尚无账号的成员。", "Manage the existing account in the user list, or choose a member who has none yet."),
        new(UnknownEventKind, 400, "没有这种通知事件或接收方式。", "There is no such notification event or delivery.",
            "从通知设置页列出的事件和方式中选择。", "Choose one of the events and deliveries the notification settings page lists."),
        new(SecurityNotificationRequired, 409, "企业管理员不能关闭安全事件通知。", "Enterprise admins cannot turn security event notifications off.",
            "选择仅门户内、邮件或每日摘要。", "Choose in the portal only, by e-mail, or the daily digest."),
        new(WebhookUrlInvalid, 400, "Webhook 地址无效：必须是完整的 https:// 地址，且不含用户名或密码。", "The webhook URL is invalid: it must be a full https:// URL without a user name or password.",
            "输入接收方提供的完整 https:// 地址（仅开发和演示环境允许 http://）。", "Enter the receiver's full https:// URL (http:// only in Development and the demo)."),
        new(WebhookAddressInternal, 422, "Webhook 地址解析到内部地址（回环、私有、链路本地或云元数据地址），已拒绝。", "The webhook URL resolves to an internal address (loopback, private, link-local or cloud metadata), so it was refused.",
            "使用公网地址；如确需发送到内部系统，请勾选“允许内部地址”（将记入审计）。", "Use a public address; if it really is an internal system, tick \"allow internal address\" (audited)."),
        new(WebhookHostUnresolved, 422, "无法解析 Webhook 地址中的主机名。", "The host name of the webhook URL does not resolve.",
            "检查主机名拼写及 DNS 记录后重试。", "Check the host name and its DNS records, then retry."),
        new(WebhookEndpointLimit, 409, "本组织的 Webhook 端点数量已达上限。", "The organisation has the maximum number of webhook endpoints.",
            "删除不再使用的端点后再添加。", "Delete an endpoint that is no longer used, then add the new one."),
        new(WebhookNoEvents, 400, "请至少选择一种事件，且只能选择目录中的事件。", "Choose at least one event, and only events of the catalogue.",
            "在事件列表中勾选该端点要接收的事件。", "Tick the events this endpoint should receive."),
        new(WebhookEndpointDisabled, 409, "该 Webhook 端点已停用，不发送事件。", "The webhook endpoint is disabled and receives nothing.",
            "先启用该端点（停用原因见端点列表），再重发或发送测试事件。", "Enable the endpoint first (the reason it was disabled is in the list), then resend or send a test event."),
        new(RequesterCannotDecide, 403, "不能审批自己发起的退出申请。", "Nobody may decide an exit request that they started.",
            "请该班级的另一位审批人或企业管理员审批。", "Ask another approver of the class or an enterprise admin to decide it."),
        new(DeciderLeavingClass, 403, "您正在退出该班级，不能审批该班级的退出申请。", "You are leaving this class, so you may not decide its exit requests.",
            "请该班级的另一位审批人或企业管理员审批。", "Ask another approver of the class or an enterprise admin to decide it."),
        new(AdminCannotSelfExit, 409, "企业管理员不能自行退出班级。", "An enterprise admin cannot leave a class on their own.",
            "由另一位企业管理员强制移除或转让所有权。", "Have another enterprise admin force-remove you or transfer ownership."),
        new(MetricsKeyRequired, 401, "指标接口只对平台运维人员或持有指标密钥的调用方开放。", "Metrics are for platform operators or callers with the metrics key.",
            "以平台运维人员身份登录，或以 Authorization: Bearer <Metrics:Key> 发送指标密钥。", "Sign in as a platform operator, or send the metrics key as Authorization: Bearer <Metrics:Key>."),
        new(CspReportsRateLimited, 429, "内容安全策略违规报告过多，本条未记录。", "Too many Content-Security-Policy reports; this one was not logged.",
            "无需操作：浏览器稍后的报告会再次记录；请修复报告中指出的违规。", "Nothing to do: later reports are logged again; fix the violation the reports name."),
    }.ToFrozenDictionary(d => d.Code);

    public static ErrorDefinition Get(int code) =>
        Definitions.TryGetValue(code, out var d) ? d : throw new KeyNotFoundException($"Error code {code} is not in the catalogue.");

    public static bool Contains(int code) => Definitions.ContainsKey(code);

    public static IEnumerable<ErrorDefinition> All => Definitions.Values.OrderBy(d => d.Code);
}
