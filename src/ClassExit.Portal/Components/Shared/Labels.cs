using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using MudBlazor;

namespace ClassExit.Portal.Components.Shared;

/// <summary>Bilingual display labels for domain values (zh-CN first, as the users read them).</summary>
public static class Labels
{
    public static string Of(ClassRole role) => role switch
    {
        ClassRole.Owner => "创建者 Owner",
        ClassRole.ClassAdmin => "班级管理员 Class admin",
        ClassRole.Teacher => "教师 Teacher",
        _ => "学生 Student",
    };

    public static string Of(MembershipState state) => state switch
    {
        MembershipState.Active => "在班 Active",
        MembershipState.ExitPending => "退出待审批 Exit pending",
        MembershipState.Left => "已退出 Left",
        _ => "已移除 Removed",
    };

    public static Color ColorOf(MembershipState state) => state switch
    {
        MembershipState.Active => Color.Success,
        MembershipState.ExitPending => Color.Warning,
        MembershipState.Left => Color.Default,
        _ => Color.Error,
    };

    public static string Of(ClassStatus status) => status == ClassStatus.Active ? "正常 Active" : "已解散 Dissolved";

    public static string Of(Classification c) => c switch
    {
        Classification.Key => "关键班级 Key",
        Classification.Classified => "涉密 Classified",
        _ => "普通 Normal",
    };

    public static string Of(OrgRole role) => role switch
    {
        OrgRole.EnterpriseAdmin => "企业管理员 Enterprise admin",
        OrgRole.SuperAdmin => "超级管理员 Super admin",
        OrgRole.Staff => "教职工 Staff",
        _ => "成员 Member",
    };

    public static string Of(ResignationState r) => r switch
    {
        ResignationState.InProgress => "离职中 Resigning",
        ResignationState.Completed => "已离职 Resigned",
        _ => "在职 Employed",
    };

    public static string Of(NetworkClass n) => n switch
    {
        NetworkClass.SameNetwork => "同企业网络 Same network",
        NetworkClass.CrossCarrier => "跨运营商 Cross carrier",
        _ => "国际链路 International",
    };

    public static string Of(Platform p) => p switch
    {
        Platform.Android => "Android",
        Platform.Ios => "iOS",
        Platform.Windows => "Windows PC",
        _ => "macOS",
    };

    public static string Of(ExitRequestStatus s) => s switch
    {
        ExitRequestStatus.PendingApproval => "待审批 Pending approval",
        ExitRequestStatus.Approved => "已批准 Approved",
        ExitRequestStatus.Rejected => "已拒绝 Rejected",
        ExitRequestStatus.Cancelled => "已取消 Cancelled",
        ExitRequestStatus.Completed => "已完成 Completed",
        _ => "失败 Failed",
    };

    public static string Of(ExitKind k) => k switch
    {
        ExitKind.SelfExit => "主动退出 Self-exit",
        ExitKind.ForceRemoval => "强制移除 Force removal",
        ExitKind.HrBatch => "HR 批量 HR batch",
        _ => "班级解散 Dissolution",
    };

    public static string Of(ExitChannel c) => c switch
    {
        ExitChannel.Mobile => "移动端 Mobile",
        ExitChannel.Pc => "PC",
        ExitChannel.Api => "API",
        _ => "门户 Portal",
    };
}
