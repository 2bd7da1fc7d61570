using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>Why a session ended, as stored in <see cref="PortalSession.EndReason"/> and shown by the signed-out page.</summary>
public static class SessionEndReasons
{
    public const string SignedOut = "signed_out";
    public const string SignedOutEverywhere = "signed_out_everywhere";
    public const string Idle = "idle";
    public const string Expired = "expired";
    public const string AccountChanged = "account_changed";
    /// <summary>No such session (never created, deleted, or belonging to another account).</summary>
    public const string Unknown = "unknown";
}

/// <summary>The state of one session after a check: active, or ended with a reason.</summary>
public readonly record struct SessionCheck(bool IsActive, string? EndReason)
{
    public static readonly SessionCheck Active = new(true, null);
    public static SessionCheck Ended(string reason) => new(false, reason);
}

/// <summary>
/// Server-side sessions: one row per sign-in, checked on every request and by every open circuit, so that signing out, "sign out
/// everywhere", the idle timeout and the absolute lifetime end the session on the server and not only in one browser.
/// Each call opens its own short context (system scope: sessions belong to accounts, not organisations).
/// </summary>
public sealed class PortalSessionStore(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, IOptions<SessionOptions> options)
{
    /// <summary>Activity is written at most this often, so a busy page does not write on every request.</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private SessionOptions Options => options.Value;

    public async Task<string> StartAsync(string userId, string? userAgent, string? ipAddress, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var session = new PortalSession
        {
            UserId = userId,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now.AddHours(Options.AbsoluteHours),
            UserAgent = userAgent is { Length: > 256 } ? userAgent[..256] : userAgent,
            IpAddress = ipAddress,
        };
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        db.PortalSessions.Add(session);
        await db.SaveChangesAsync(ct);
        return session.Id;
    }

    /// <summary>
    /// Whether the session is still active; ends it (idle, expired) when its time is up. <paramref name="touch"/>: the check is
    /// the user's own activity (a request, a circuit event), which moves <see cref="PortalSession.LastSeenAt"/>.
    /// </summary>
    public async Task<SessionCheck> CheckAsync(string? sessionId, string? userId, bool touch, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(sessionId) || string.IsNullOrEmpty(userId)) return SessionCheck.Ended(SessionEndReasons.Unknown);
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var session = await db.PortalSessions.SingleOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null || session.UserId != userId) return SessionCheck.Ended(SessionEndReasons.Unknown);
        if (session.RevokedAt is not null) return SessionCheck.Ended(session.EndReason ?? SessionEndReasons.SignedOut);
        var now = clock.GetUtcNow();
        string? ended = now >= session.ExpiresAt ? SessionEndReasons.Expired
            : now - session.LastSeenAt > TimeSpan.FromMinutes(Options.IdleMinutes) ? SessionEndReasons.Idle
            : null;
        if (ended is not null)
        {
            session.RevokedAt = now;
            session.EndReason = ended;
            await db.SaveChangesAsync(ct);
            return SessionCheck.Ended(ended);
        }
        if (touch && now - session.LastSeenAt >= TouchInterval)
        {
            session.LastSeenAt = now;
            await db.SaveChangesAsync(ct);
        }
        return SessionCheck.Active;
    }

    /// <summary>Ends one session; a session that already ended keeps its first reason.</summary>
    public async Task<bool> EndAsync(string? sessionId, string reason, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(sessionId)) return false;
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        return await db.PortalSessions.Where(s => s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.EndReason, reason), ct) > 0;
    }

    /// <summary>Ends every active session of an account; returns how many.</summary>
    public async Task<int> EndAllAsync(string userId, string reason, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        return await db.PortalSessions.Where(s => s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.EndReason, reason), ct);
    }

    /// <summary>Records a successful step-up in the session: it holds for <see cref="SessionOptions.StepUpMinutes"/>.</summary>
    public async Task MarkSteppedUpAsync(string? sessionId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(sessionId)) return;
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        await db.PortalSessions.Where(s => s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.SteppedUpAt, now), ct);
    }

    /// <summary>Whether a step-up of this session's user is still fresh (inside the window, session active).</summary>
    public async Task<bool> IsSteppedUpAsync(string? sessionId, string? userId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(sessionId) || string.IsNullOrEmpty(userId) || Options.StepUpMinutes == 0) return false;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var session = await db.PortalSessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is not { RevokedAt: null, SteppedUpAt: { } at } || session.UserId != userId) return false;
        var now = clock.GetUtcNow();
        return now < session.ExpiresAt && now - at < TimeSpan.FromMinutes(Options.StepUpMinutes);
    }
}
