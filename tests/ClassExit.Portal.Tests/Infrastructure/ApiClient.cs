using System.Net.Http.Headers;
using System.Text.Json;

namespace ClassExit.Portal.Tests.Infrastructure;

public static class ApiClient
{
    public static HttpClient WithKey(this PortalFactory factory, string? key, string? language = null)
    {
        var client = factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (language is not null) client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return client;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
