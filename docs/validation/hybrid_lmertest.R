# lmerTest reference fits of the hybrid (within/between) model of protocol Amendment 1.
#   Rscript docs/validation/hybrid_lmertest.R <dir>    (docs/validation/hybrid_validate.py runs it)
# Reads <dir>/<name>.csv (analysed rows: DUR, REL, FAC, PRO, ORG, wave, region, partnership_id)
# (and the inner level's column, e.g. respondent_key), <dir>/<name>.region (fixed or random) and,
# when present, <dir>/<name>.inner (the level below the partnership: wave, the default, or a
# column such as respondent_key for conditions_hybrid_respondent); decomposes the conditions into
# partnership means and
# deviations itself, fits REML and ML (with the Satterthwaite df and p of each difference of two
# between effects, contestMD), and writes <dir>/<name>.json. The REML fit also carries
# `kenward_roger`: summary(m, ddf = "Kenward-Roger") (pbkrtest::vcovAdj SEs and Lb_ddf df; read by
# docs/validation/hybrid_kr_compare.py). With an inner level other than wave it also fits, for
# reference, the model with both levels crossed (partnership-within-wave and the inner level; REML;
# not fitted by the pipeline) and lmerTest's ranova LR test of each level (key "crossed").
suppressPackageStartupMessages({
  library(lmerTest)
  library(jsonlite)
})

decompose <- function(df) {
  for (v in c("REL", "FAC", "PRO", "ORG")) {
    m <- ave(df[[v]], df$region, df$partnership_id, FUN = mean)
    df[[paste0(v, "_between")]] <- m
    df[[paste0(v, "_within")]] <- df[[v]] - m
  }
  df
}

py_name <- function(nm) {
  nm <- sub("^\\(Intercept\\)$", "Intercept", nm)
  nm <- sub("^wave([0-9]+)$", "C(wave)[T.\\1]", nm)
  sub("^region(.+)$", "C(region)[T.\\1]", nm)
}

fit_one <- function(df, region, reml, inner = "wave") {
  conds <- "REL_between + REL_within + FAC_between + FAC_within + PRO_between + PRO_within + ORG_between + ORG_within"
  re <- paste0("(1 | region:partnership_id) + (1 | region:partnership_id:", inner, ")")
  inner_name <- if (inner == "wave") "partnership_wave" else sub("_key$", "", inner)
  f <- if (region == "fixed") paste("DUR ~", conds, "+ wave + region +", re)
       else paste("DUR ~", conds, "+ wave + (1 | region) +", re)
  ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5), check.conv.singular = "ignore")
  m <- lmer(as.formula(f), data = df, REML = reml, control = ctrl)
  co <- summary(m, ddf = "Satterthwaite")$coefficients
  vc <- as.data.frame(VarCorr(m))
  s2 <- list(
    partnership = vc$vcov[vc$grp == "region:partnership_id"],
    residual = vc$vcov[vc$grp == "Residual"]
  )
  s2[[inner_name]] <- vc$vcov[vc$grp == paste0("region:partnership_id:", inner)]
  if (region == "random") s2$region <- vc$vcov[vc$grp == "region"]
  nm <- py_name(rownames(co))
  differences <- between_differences(m, rownames(co), as.matrix(vcov(m)), "Satterthwaite")
  out <- list(
    params = as.list(setNames(co[, "Estimate"], nm)),
    bse = as.list(setNames(co[, "Std. Error"], nm)),
    df = as.list(setNames(co[, "df"], nm)),
    p_value = as.list(setNames(co[, "Pr(>|t|)"], nm)),
    sigma2 = s2,
    loglik = as.numeric(logLik(m)),
    singular = isSingular(m),
    n_obs = nobs(m),
    differences = differences
  )
  if (reml) out$kenward_roger <- kenward_roger(m)
  out
}

# each pair of between effects, a - b (the difference rows of models.csv): estimate, SE from `vc`,
# and lmerTest's contestMD df and p with `ddf`
between_differences <- function(m, terms, vc, ddf) {
  between <- paste0(c("REL", "FAC", "PRO", "ORG"), "_between")
  differences <- list()
  for (i in seq_along(between)) for (j in seq_along(between)) if (i < j) {
    L <- setNames(rep(0, length(terms)), terms)
    L[between[i]] <- 1
    L[between[j]] <- -1
    ct <- contestMD(m, matrix(L, nrow = 1), ddf = ddf)
    differences[[paste0("difference:", between[i], "-", between[j])]] <- list(
      estimate = sum(L * fixef(m)), std_error = sqrt(as.numeric(t(L) %*% vc %*% L)),
      df = ct$DenDF, p_value = ct[["Pr(>F)"]])
  }
  differences
}

kenward_roger <- function(m) {
  co <- summary(m, ddf = "Kenward-Roger")$coefficients
  nm <- py_name(rownames(co))
  differences <- between_differences(m, rownames(co), as.matrix(pbkrtest::vcovAdj(m)), "Kenward-Roger")
  list(
    differences = differences,
    bse = as.list(setNames(co[, "Std. Error"], nm)),
    df = as.list(setNames(co[, "df"], nm)),
    p_value = as.list(setNames(co[, "Pr(>|t|)"], nm)),
    vcov_adj_se = as.list(setNames(sqrt(diag(as.matrix(pbkrtest::vcovAdj(m)))), nm)),
    pbkrtest = as.character(packageVersion("pbkrtest"))
  )
}

crossed <- function(df, inner) {
  conds <- "REL_between + REL_within + FAC_between + FAC_within + PRO_between + PRO_within + ORG_between + ORG_within"
  f <- paste0("DUR ~ ", conds, " + wave + region + (1 | region:partnership_id) + (1 | region:partnership_id:wave) + (1 | ",
              inner, ")")
  ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5), check.conv.singular = "ignore")
  m <- lmer(as.formula(f), data = df, REML = TRUE, control = ctrl)
  co <- summary(m, ddf = "Satterthwaite")$coefficients
  vc <- as.data.frame(VarCorr(m))
  rt <- ranova(m)
  between <- paste0(c("REL", "FAC", "PRO", "ORG"), "_between")
  list(
    params = as.list(co[between, "Estimate"]), bse = as.list(co[between, "Std. Error"]),
    df = as.list(co[between, "df"]),
    sigma2 = as.list(setNames(vc$vcov, vc$grp)),
    ranova_p = as.list(setNames(rt[["Pr(>Chisq)"]][-1], rownames(rt)[-1])),
    loglik = as.numeric(logLik(m)), n_obs = nobs(m)
  )
}

dir <- commandArgs(trailingOnly = TRUE)[1]
for (path in list.files(dir, pattern = "\\.csv$", full.names = TRUE)) {
  name <- sub("\\.csv$", "", basename(path))
  region <- trimws(readLines(file.path(dir, paste0(name, ".region"))))
  inner_file <- file.path(dir, paste0(name, ".inner"))
  inner <- if (file.exists(inner_file)) trimws(readLines(inner_file)) else "wave"
  df <- read.csv(path, colClasses = c(region = "character", partnership_id = "character"))
  df$wave <- factor(df$wave)
  if (inner != "wave") df[[inner]] <- factor(df[[inner]])
  df <- decompose(df)
  out <- list(REML = fit_one(df, region, TRUE, inner), ML = fit_one(df, region, FALSE, inner),
              versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                              lmerTest = as.character(packageVersion("lmerTest"))))
  if (inner != "wave") out$crossed <- crossed(df, inner)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(dir, paste0(name, ".json")))
}
