/* SPDX-License-Identifier: MIT */
/* Export and attribute macros shared by every public header. */
#ifndef PMM_API_H
#define PMM_API_H

#if defined(__GNUC__) || defined(__clang__)
#define PMM_API __attribute__((visibility("default")))
#define PMM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PMM_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define PMM_API
#define PMM_PRINTF(fmt, args)
#define PMM_WARN_UNUSED
#endif

#ifdef __cplusplus
#define PMM_BEGIN_DECLS extern "C" {
#define PMM_END_DECLS }
#else
#define PMM_BEGIN_DECLS
#define PMM_END_DECLS
#endif

#endif /* PMM_API_H */
