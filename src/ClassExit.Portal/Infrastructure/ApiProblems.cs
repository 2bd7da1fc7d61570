using ClassExit.Portal.Domain.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ClassExit.Portal.Infrastructure;

/// <summary>RFC 9457 problems that carry the catalogue code, a remedy and, where several rules block, every one of them.</summary>
public static class ApiProblems
{
    /// <summary>en when the caller asks for English first; zh-CN otherwise (api.md: zh-CN is the default).</summary>
    public static bool WantsEnglish(HttpContext context)
    {
        var header = context.Request.Headers.AcceptLanguage.ToString();
        if (string.IsNullOrWhiteSpace(header)) return false;
        var first = header.Split(',')[0].Trim();
        return first.StartsWith("en", StringComparison.OrdinalIgnoreCase);
    }

    public static ProblemHttpResult Problem(HttpContext context, int code, string? detail = null, IEnumerable<int>? blocking = null,
        IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var english = WantsEnglish(context);
        var def = ErrorCatalogue.Get(code);
        var problem = new ProblemDetails
        {
            Status = def.HttpStatus,
            Title = def.Message(english),
            Detail = detail ?? def.Message(english),
            Type = $"https://classexit.portal/errors/{code}",
            Instance = context.Request.Path,
        };
        problem.Extensions["code"] = code;
        problem.Extensions["remedy"] = def.Remedy(english);
        problem.Extensions["trace_id"] = context.TraceIdentifier;
        var list = blocking?.Distinct().ToList();
        if (list is { Count: > 0 })
        {
            problem.Extensions["errors"] = list.Select(c =>
            {
                var d = ErrorCatalogue.Get(c);
                return new Dictionary<string, object?> { ["code"] = c, ["message"] = d.Message(english), ["remedy"] = d.Remedy(english) };
            }).ToList();
        }
        if (extensions is not null)
            foreach (var (k, v) in extensions) problem.Extensions[k] = v;
        return TypedResults.Problem(problem);
    }
}
