/*
 * The status document as text tables (`raygate status`) and as one
 * self-contained HTML page (GET /status): the same three sections, usage
 * drawn as bars, every string from the cluster escaped.
 */
#include "raygate/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 20

static const char *s_or(const cJSON *o, const char *key, const char *dflt)
{
    const char *s = rg_json_get_string(o, key);
    return s && *s ? s : dflt;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *n = rg_json_get(o, key);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

/* "[########------------]" for fraction f (clamped; past 1 ends in '!'). */
static void text_bar(rg_buf_t *out, double f)
{
    int filled = f <= 0 ? 0 : f >= 1 ? BAR_WIDTH : (int)(f * BAR_WIDTH + 0.5);
    rg_buf_append_char(out, '[');
    for (int i = 0; i < BAR_WIDTH; i++)
        rg_buf_append_char(out, i < filled ? '#' : '-');
    rg_buf_append_str(out, f > 1 ? "!" : "]");
}

/* Nodes of a podSet as "a:2 b:1", or "-" when there is no plan. */
static void nodes_text(const cJSON *nodes, rg_buf_t *out)
{
    const cJSON *n;
    bool any = false;
    cJSON_ArrayForEach(n, nodes)
    {
        rg_buf_appendf(out, "%s%s:%d", any ? " " : "", n->string, (int)n->valuedouble);
        any = true;
    }
    if (!any)
        rg_buf_append_char(out, '-');
}

static void age_text(double secs, char *buf, size_t cap)
{
    long s = (long)secs;
    if (s < 120)
        snprintf(buf, cap, "%lds", s);
    else if (s < 7200)
        snprintf(buf, cap, "%ldm", s / 60);
    else if (s < 172800)
        snprintf(buf, cap, "%ldh", s / 3600);
    else
        snprintf(buf, cap, "%ldd", s / 86400);
}

void status_render_table(const cJSON *doc, rg_buf_t *out)
{
    const cJSON *cq, *r, *p, *g, *ps;
    rg_buf_appendf(out, "raygate status from %s at %s\n\nCLUSTER QUEUES\n",
                   s_or(doc, "source", "?"), s_or(doc, "generated", "?"));
    rg_buf_appendf(out, "%-28s %-12s %7s %9s  %-32s %-24s %s\n", "CLUSTERQUEUE", "COHORT",
                   "PENDING", "ADMITTED", "FLAVOR/RESOURCE", "RESERVED", "OF QUOTA");
    cJSON_ArrayForEach(cq, rg_json_get(doc, "clusterQueues"))
    {
        bool first = true;
        char fr[256];
        cJSON_ArrayForEach(r, rg_json_get(cq, "resources"))
        {
            snprintf(fr, sizeof(fr), "%s/%s", s_or(r, "flavor", "?"), s_or(r, "resource", "?"));
            if (first)
                rg_buf_appendf(out, "%-28s %-12s %7.0f %9.0f  ", s_or(cq, "name", "?"),
                               s_or(cq, "cohort", "-"), num(cq, "pending"), num(cq, "admitted"));
            else
                rg_buf_appendf(out, "%-28s %-12s %7s %9s  ", "", "", "", "");
            rg_buf_appendf(out, "%-32s ", fr);
            text_bar(out, num(r, "fraction"));
            rg_buf_appendf(out, " %3.0f%%  %s / %s\n", num(r, "fraction") * 100,
                           s_or(r, "reserved", "0"), s_or(r, "nominal", "0"));
            first = false;
        }
        if (first)
            rg_buf_appendf(out, "%-28s %-12s %7.0f %9.0f  (no quota)\n", s_or(cq, "name", "?"),
                           s_or(cq, "cohort", "-"), num(cq, "pending"), num(cq, "admitted"));
    }
    rg_buf_append_str(out, "\nPENDING WORKLOADS (queue order)\n");
    rg_buf_appendf(out, "%-4s %-24s %-40s %8s %6s  %-20s %s\n", "POS", "CLUSTERQUEUE",
                   "NAMESPACE/WORKLOAD", "PRIORITY", "AGE", "REASON", "MESSAGE");
    cJSON_ArrayForEach(p, rg_json_get(doc, "pending"))
    {
        char nn[600], age[32];
        snprintf(nn, sizeof(nn), "%s/%s", s_or(p, "namespace", "?"), s_or(p, "name", "?"));
        age_text(num(p, "ageSeconds"), age, sizeof(age));
        rg_buf_appendf(out, "%-4.0f %-24s %-40s %8.0f %6s  %-20s %s\n", num(p, "position"),
                       s_or(p, "clusterQueue", "-"), nn, num(p, "priority"), age,
                       s_or(p, "reason", "-"), s_or(p, "message", ""));
    }
    if (num(doc, "pendingNotListed") > 0)
        rg_buf_appendf(out, "... and %.0f more\n", num(doc, "pendingNotListed"));
    rg_buf_append_str(out, "\nGANGS (admitted, with their planned nodes)\n");
    rg_buf_appendf(out, "%-40s %-32s %-24s %-12s %5s  %s\n", "NAMESPACE/WORKLOAD", "OWNER",
                   "CLUSTERQUEUE", "PODSET", "COUNT", "NODES");
    cJSON_ArrayForEach(g, rg_json_get(doc, "gangs"))
    {
        char nn[600];
        snprintf(nn, sizeof(nn), "%s/%s", s_or(g, "namespace", "?"), s_or(g, "name", "?"));
        bool first = true;
        cJSON_ArrayForEach(ps, rg_json_get(g, "podSets"))
        {
            rg_buf_appendf(out, "%-40s %-32s %-24s %-12s %5.0f  ", first ? nn : "",
                           first ? s_or(g, "owner", "-") : "",
                           first ? s_or(g, "clusterQueue", "-") : "", s_or(ps, "name", "?"),
                           num(ps, "count"));
            nodes_text(rg_json_get(ps, "nodes"), out);
            rg_buf_append_char(out, '\n');
            first = false;
        }
    }
}

/* ---- HTML ---- */

static void esc(rg_buf_t *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': rg_buf_append_str(out, "&lt;"); break;
        case '>': rg_buf_append_str(out, "&gt;"); break;
        case '&': rg_buf_append_str(out, "&amp;"); break;
        case '"': rg_buf_append_str(out, "&quot;"); break;
        case '\'': rg_buf_append_str(out, "&#39;"); break;
        default: rg_buf_append_char(out, *s);
        }
    }
}

static void td(rg_buf_t *out, const char *s)
{
    rg_buf_append_str(out, "<td>");
    esc(out, s);
    rg_buf_append_str(out, "</td>");
}

static void html_bar(rg_buf_t *out, double f)
{
    double pct = f < 0 ? 0 : f > 1 ? 100 : f * 100;
    rg_buf_appendf(out,
                   "<td class=\"bar\"><div class=\"track\"><div class=\"fill%s\" "
                   "style=\"width:%.1f%%\"></div></div><span>%.0f%%</span></td>",
                   f >= 1     ? " full"
                   : f >= 0.8 ? " high"
                              : "",
                   pct, f * 100);
}

static const char *const STYLE =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}"
    ".meta{color:#5b6475;margin:0 0 16px}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;"
    "border-bottom:1px solid #e3e6ec;vertical-align:top}th{background:#f4f6f9;font-weight:600}"
    "td.num{text-align:right}.bar{min-width:220px}.track{display:inline-block;width:160px;"
    "height:12px;background:#e8ebf0;border-radius:6px;overflow:hidden;vertical-align:middle;"
    "margin-right:8px}.fill{height:100%;background:#2f7de1}.fill.high{background:#e09b1a}"
    ".fill.full{background:#d6453d}.reason{font-weight:600}.msg{color:#5b6475}"
    ".empty{color:#5b6475;font-style:italic}code{font-size:13px}";

/* "<tr>" and the ClusterQueue's own cells: name, cohort, pending, admitted. */
static void queue_cells(rg_buf_t *out, const cJSON *cq)
{
    char n[32];
    rg_buf_append_str(out, "<tr>");
    td(out, s_or(cq, "name", "?"));
    td(out, s_or(cq, "cohort", "-"));
    snprintf(n, sizeof(n), "%.0f", num(cq, "pending"));
    td(out, n);
    snprintf(n, sizeof(n), "%.0f", num(cq, "admitted"));
    td(out, n);
}

static void html_queues(const cJSON *doc, rg_buf_t *out)
{
    const cJSON *cq, *r;
    rg_buf_append_str(out, "<h2>Cluster queues</h2><table id=\"queues\"><tr><th>ClusterQueue</th>"
                           "<th>Cohort</th><th>Pending</th><th>Admitted</th><th>Flavor / "
                           "resource</th><th>Reserved of quota</th><th>Reserved</th>"
                           "<th>Quota</th></tr>");
    cJSON_ArrayForEach(cq, rg_json_get(doc, "clusterQueues"))
    {
        if (cJSON_GetArraySize(rg_json_get(cq, "resources")) == 0) {
            queue_cells(out, cq);
            rg_buf_append_str(out, "<td colspan=\"4\" class=\"empty\">no quota</td></tr>");
        }
        cJSON_ArrayForEach(r, rg_json_get(cq, "resources"))
        {
            char fr[256];
            queue_cells(out, cq);
            snprintf(fr, sizeof(fr), "%s / %s", s_or(r, "flavor", "?"), s_or(r, "resource", "?"));
            td(out, fr);
            html_bar(out, num(r, "fraction"));
            td(out, s_or(r, "reserved", "0"));
            td(out, s_or(r, "nominal", "0"));
            rg_buf_append_str(out, "</tr>");
        }
    }
    rg_buf_append_str(out, "</table>");
}

static void html_pending(const cJSON *doc, rg_buf_t *out)
{
    const cJSON *p;
    rg_buf_append_str(out, "<h2>Pending workloads, in queue order</h2><table id=\"pending\"><tr>"
                           "<th>#</th><th>ClusterQueue</th><th>Workload</th><th>Priority</th>"
                           "<th>Why it waits</th></tr>");
    bool any = false;
    cJSON_ArrayForEach(p, rg_json_get(doc, "pending"))
    {
        char n[32], nn[600];
        rg_buf_append_str(out, "<tr>");
        snprintf(n, sizeof(n), "%.0f", num(p, "position"));
        td(out, n);
        td(out, s_or(p, "clusterQueue", "-"));
        snprintf(nn, sizeof(nn), "%s/%s", s_or(p, "namespace", "?"), s_or(p, "name", "?"));
        td(out, nn);
        snprintf(n, sizeof(n), "%.0f", num(p, "priority"));
        td(out, n);
        rg_buf_append_str(out, "<td><span class=\"reason\">");
        esc(out, s_or(p, "reason", "-"));
        rg_buf_append_str(out, "</span> <span class=\"msg\">");
        esc(out, s_or(p, "message", ""));
        rg_buf_append_str(out, "</span></td></tr>");
        any = true;
    }
    if (!any)
        rg_buf_append_str(out, "<tr><td colspan=\"5\" class=\"empty\">Nothing waits.</td></tr>");
    rg_buf_append_str(out, "</table>");
    if (num(doc, "pendingNotListed") > 0)
        rg_buf_appendf(out, "<p class=\"meta\">… and %.0f more.</p>", num(doc, "pendingNotListed"));
}

static void html_gangs(const cJSON *doc, rg_buf_t *out)
{
    const cJSON *g, *ps, *n;
    rg_buf_append_str(out, "<h2>Gangs and their nodes</h2><table id=\"gangs\"><tr><th>Workload"
                           "</th><th>Owner</th><th>ClusterQueue</th><th>PodSet</th><th>Pods</th>"
                           "<th>Planned nodes</th></tr>");
    bool any = false;
    cJSON_ArrayForEach(g, rg_json_get(doc, "gangs"))
    {
        cJSON_ArrayForEach(ps, rg_json_get(g, "podSets"))
        {
            char nn[600], c[32];
            rg_buf_append_str(out, "<tr>");
            snprintf(nn, sizeof(nn), "%s/%s", s_or(g, "namespace", "?"), s_or(g, "name", "?"));
            td(out, nn);
            td(out, s_or(g, "owner", "-"));
            td(out, s_or(g, "clusterQueue", "-"));
            td(out, s_or(ps, "name", "?"));
            snprintf(c, sizeof(c), "%.0f", num(ps, "count"));
            td(out, c);
            rg_buf_append_str(out, "<td>");
            bool has = false;
            cJSON_ArrayForEach(n, rg_json_get(ps, "nodes"))
            {
                rg_buf_append_str(out, has ? ", <code>" : "<code>");
                esc(out, n->string);
                rg_buf_appendf(out, "</code> ×%d", (int)n->valuedouble);
                has = true;
            }
            if (!has)
                rg_buf_append_str(out, "<span class=\"empty\">no plan</span>");
            rg_buf_append_str(out, "</td></tr>");
            any = true;
        }
    }
    if (!any)
        rg_buf_append_str(out, "<tr><td colspan=\"6\" class=\"empty\">No admitted gang.</td></tr>");
    rg_buf_append_str(out, "</table>");
}

void status_render_html(const cJSON *doc, unsigned refresh_s, rg_buf_t *out)
{
    rg_buf_append_str(out, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                           "<meta name=\"viewport\" content=\"width=device-width\">");
    if (refresh_s)
        rg_buf_appendf(out, "<meta http-equiv=\"refresh\" content=\"%u\">", refresh_s);
    rg_buf_append_str(out, "<title>raygate status</title><style>");
    rg_buf_append_str(out, STYLE);
    rg_buf_append_str(out, "</style></head><body><h1>raygate</h1><p class=\"meta\">Queues, pending "
                           "workloads and gangs from ");
    esc(out, s_or(doc, "source", "?"));
    rg_buf_append_str(out, " at ");
    esc(out, s_or(doc, "generated", "?"));
    rg_buf_append_str(out, ". Read only; <a href=\"/status.json\">as JSON</a>.</p>");
    html_queues(doc, out);
    html_pending(doc, out);
    html_gangs(doc, out);
    rg_buf_append_str(out, "</body></html>\n");
}
