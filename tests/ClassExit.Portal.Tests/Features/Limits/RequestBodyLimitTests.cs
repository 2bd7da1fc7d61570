using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;

namespace ClassExit.Portal.Tests.Features.Limits;

/// <summary>
/// Issue 15: request bodies have a low global limit and per-endpoint limits; a body over its limit gets an RFC 9457 problem with
/// 41301 (HTTP 413) in the API's shape, one at the limit is handled as usual. Bodies are JSON padded with spaces to an exact size.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class RequestBodyLimitTests(PortalFactory factory)
{
    private const long NoSuchClass = 987_654_321;

    /// <summary><paramref name="json"/> followed by spaces up to exactly <paramref name="bytes"/> bytes (still valid JSON).</summary>
    private static byte[] Padded(string json, long bytes)
    {
        var body = Encoding.UTF8.GetBytes(json);
        Assert.True(body.Length <= bytes);
        return [.. body, .. Enumerable.Repeat((byte)' ', (int)(bytes - body.Length))];
    }

    private static HttpContent Json(byte[] body, bool chunked = false)
    {
        HttpContent content = chunked ? new UnknownLengthContent(body) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static HttpRequestMessage ClientExit(HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/classes/{NoSuchClass}/exits") { Content = content };
        request.Headers.Add("X-Client-Version", "3.1.10");
        request.Headers.Add("X-Device-Id", "body-limit-device");
        request.Headers.Add("X-Device-Time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz"));
        return request;
    }

    private static async Task AssertTooLargeAsync(HttpResponseMessage response, long limit)
    {
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(41301, problem.GetProperty("code").GetInt32());
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Equal(limit, problem.GetProperty("max_bytes").GetInt64());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("remedy").GetString()));
        Assert.True(problem.TryGetProperty("trace_id", out _));
    }

    private static async Task<int> CodeAsync(HttpResponseMessage response)
    {
        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("code").GetInt32();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientExit_OverItsLimit_Is41301_AtTheLimit_IsHandled(bool chunked)
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey, "en");
        const string json = "{\"member_id\": 1, \"channel\": \"pc\", \"verification\": \"sms\"}";
        await AssertTooLargeAsync(await api.SendAsync(ClientExit(Json(Padded(json, RequestBodyLimits.SmallJsonBytes + 1), chunked))), RequestBodyLimits.SmallJsonBytes);
        // At the limit the body is read whole and the endpoint answers as usual: the class is not the organisation's.
        Assert.Equal(40401, await CodeAsync(await api.SendAsync(ClientExit(Json(Padded(json, RequestBodyLimits.SmallJsonBytes), chunked)))));
    }

    [Fact]
    public async Task SyncAck_OverItsLimit_Is41301_AtTheLimit_IsHandled()
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        const string json = "{\"membership_version\": 1}";
        await AssertTooLargeAsync(await api.PostAsync("/api/v1/devices/no-such-device/sync-ack", Json(Padded(json, RequestBodyLimits.SmallJsonBytes + 1))),
            RequestBodyLimits.SmallJsonBytes);
        Assert.Equal(40401, await CodeAsync(await api.PostAsync("/api/v1/devices/no-such-device/sync-ack", Json(Padded(json, RequestBodyLimits.SmallJsonBytes)))));
    }

    [Fact]
    public async Task Batch_FullListsOfTheLongestIds_FitItsLimit_OverIt_Is41301()
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        // 100 classes and 1,000 members, every id as long as a long can be, one per line: read and validated (no operator: 40002).
        var ids = (int n) => string.Join(",\n    ", Enumerable.Repeat(long.MaxValue, n));
        var json = $"{{\n  \"class_ids\": [\n    {ids(100)}\n  ],\n  \"member_ids\": [\n    {ids(1000)}\n  ],\n  \"reason_code\": \"100001\"\n}}";
        var atLimit = await api.PostAsync("/api/v1/exits/batch", Json(Padded(json, RequestBodyLimits.BatchJsonBytes)));
        Assert.Equal(40002, await CodeAsync(atLimit));
        Assert.Contains("operator_id", (await atLimit.JsonAsync()).GetProperty("detail").GetString());
        await AssertTooLargeAsync(await api.PostAsync("/api/v1/exits/batch", Json(Padded(json, RequestBodyLimits.BatchJsonBytes + 1), chunked: true)),
            RequestBodyLimits.BatchJsonBytes);
    }

    [Fact]
    public async Task AnyOtherEndpoint_HasTheGlobalLimit()
    {
        var client = factory.CreateBrowserLikeClient();
        var form = new ByteArrayContent(Encoding.ASCII.GetBytes("Input.Email=" + new string('a', (int)RequestBodyLimits.DefaultBytes)));
        form.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        await AssertTooLargeAsync(await client.PostAsync("/Account/Login", form), RequestBodyLimits.DefaultBytes);
        // The sign-in form itself still works (a small body).
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, "auditor@school.demo")).StatusCode);
    }

    /// <summary>A body sent without Content-Length (chunked), so only reading it reveals its size.</summary>
    private sealed class UnknownLengthContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
