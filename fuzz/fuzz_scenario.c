/* The byte layouts of route_select and autograd_program (fuzz_scenario.h). */
#include <string.h>

#include "ftdiff/scenario_gen.h"
#include "fuzz_scenario.h"
#include "fuzz_support.h"

/* ---- route_select ----------------------------------------------------------- */

void ftfz_decode_dispatch(const uint8_t *data, size_t size, ftd_scenario_t *s) {
    ftfz_reader_t r = ftfz_reader(data, size);
    ftd_scenario_init(s, FTD_KIND_DISPATCH);
    const uint8_t op = ftfz_u8(&r), flags = ftfz_u8(&r), dev = ftfz_u8(&r);
    const bool custom = (op & 15) >= FTD_BUILTIN_OP_COUNT;
    strcpy(s->op.name, custom ? "custom_op" : ftd_builtin_ops[op & 15]);
    s->op.custom = custom;
    ftd_operand_t *side[2] = {&s->lhs, &s->rhs};
    for (int i = 0; i < 2; i++) {
        const unsigned d = i ? dev >> 4 : dev & 15u;
        side[i]->dtype = flags & (1u << i) ? FT_DTYPE_F32 : FT_DTYPE_F64;
        side[i]->requires_grad = (flags >> (2 + i)) & 1u;
        side[i]->device = d >= 1 && d <= FT_BACKEND_COUNT ? (ft_backend_t)d : FT_BACKEND_CPU;
    }
    for (int i = 0; i < 2; i++) {
        const uint64_t bits = ftfz_le(&r, 8);
        side[i]->bits = side[i]->dtype == FT_DTYPE_F32 ? (uint32_t)bits : bits;
    }
    s->grad_mode = !(flags & 0x10u);
    if (flags & 0x20u) {
        s->has_keyset = true;
        s->keyset = ftfz_le(&r, 8);
    }
    if (flags & 0x40u)
        s->include ^= ftfz_le(&r, 8);
    if (flags & 0x80u)
        s->exclude ^= ftfz_le(&r, 8);
    if (custom) {
        s->op.reg_count = op >> 4;
        for (size_t i = 0; i < s->op.reg_count; i++)
            s->op.regs[i] = (ft_key_t)(ftfz_u8(&r) % FT_KEY_ID_COUNT);
    }
}

static size_t put_le(uint8_t *p, uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return bytes;
}

static int builtin_index(const char *name) {
    for (int i = 0; i < FTD_BUILTIN_OP_COUNT; i++)
        if (strcmp(name, ftd_builtin_ops[i]) == 0)
            return i;
    return -1;
}

size_t ftfz_encode_dispatch(const ftd_scenario_t *s, uint8_t buf[FTFZ_SCENARIO_BYTES_MAX]) {
    if (s->kind != FTD_KIND_DISPATCH)
        return 0;
    ftd_scenario_t base;
    ftd_scenario_init(&base, FTD_KIND_DISPATCH);
    uint8_t op;
    if (s->op.custom) {
        if (strcmp(s->op.name, "custom_op") != 0 || s->op.reg_count > 15)
            return 0;
        op = (uint8_t)(FTD_BUILTIN_OP_COUNT | s->op.reg_count << 4);
    } else {
        const int i = builtin_index(s->op.name);
        if (i < 0)
            return 0;
        op = (uint8_t)i;
    }
    const ftd_operand_t *side[2] = {&s->lhs, &s->rhs};
    uint8_t flags = 0, dev = 0;
    for (int i = 0; i < 2; i++) {
        if (side[i]->dtype == FT_DTYPE_F32)
            flags |= (uint8_t)(1u << i);
        else if (side[i]->dtype != FT_DTYPE_F64)
            return 0;
        if (side[i]->requires_grad)
            flags |= (uint8_t)(4u << i);
        if (side[i]->device < FT_BACKEND_CPU || side[i]->device > FT_BACKEND_COUNT)
            return 0;
        dev |= (uint8_t)((unsigned)side[i]->device << (4 * i));
    }
    if (!s->grad_mode)
        flags |= 0x10u;
    if (s->has_keyset)
        flags |= 0x20u;
    if (s->include != base.include)
        flags |= 0x40u;
    if (s->exclude != base.exclude)
        flags |= 0x80u;
    size_t n = 0;
    buf[n++] = op;
    buf[n++] = flags;
    buf[n++] = dev;
    n += put_le(buf + n, s->lhs.bits, 8);
    n += put_le(buf + n, s->rhs.bits, 8);
    if (s->has_keyset)
        n += put_le(buf + n, s->keyset, 8);
    if (flags & 0x40u)
        n += put_le(buf + n, s->include ^ base.include, 8);
    if (flags & 0x80u)
        n += put_le(buf + n, s->exclude ^ base.exclude, 8);
    for (size_t i = 0; s->op.custom && i < s->op.reg_count; i++) {
        if ((unsigned)s->op.regs[i] >= FT_KEY_ID_COUNT)
            return 0;
        buf[n++] = (uint8_t)s->op.regs[i];
    }
    return n;
}

/* ---- autograd_program --------------------------------------------------------- */

void ftfz_decode_program(const uint8_t *data, size_t size, ftd_scenario_t *s) {
    ftfz_reader_t r = ftfz_reader(data, size);
    ftd_scenario_init(s, FTD_KIND_PROGRAM);
    const uint8_t head = ftfz_u8(&r), grads = ftfz_u8(&r), ops = ftfz_u8(&r);
    const ft_dtype_t dt = head & 8u ? FT_DTYPE_F32 : FT_DTYPE_F64;
    s->leaf_count = 1u + (head & 7u);
    s->op_count = ops % (FTD_MAX_PROGRAM_OPS + 1);
    s->grad_mode = !(head & 0x10u);
    if (head & 0x20u)
        s->exclude ^= ftfz_le(&r, 8);
    if (head & 0x40u)
        s->include ^= ftfz_le(&r, 8);
    for (size_t i = 0; i < s->leaf_count; i++) {
        ftd_operand_t *leaf = &s->leaves[i];
        leaf->dtype = dt;
        leaf->device = FT_BACKEND_CPU;
        leaf->requires_grad = (grads >> i) & 1u;
        const int16_t v = (int16_t)(uint16_t)ftfz_le(&r, 2);
        leaf->bits = v == INT16_MIN ? ftfz_le(&r, dt == FT_DTYPE_F32 ? 4 : 8) : ftd_value_bits((double)v / 64.0, dt);
    }
    for (size_t i = 0; i < s->op_count; i++) {
        const uint32_t vars = (uint32_t)(s->leaf_count + i);
        strcpy(s->ops[i].op, ftd_builtin_ops[ftfz_u8(&r) % FTD_BUILTIN_OP_COUNT]);
        s->ops[i].lhs = ftfz_u8(&r) % vars;
        s->ops[i].rhs = ftfz_u8(&r) % vars;
    }
    const uint32_t all = (uint32_t)(s->leaf_count + s->op_count);
    s->root = all - 1 - ftfz_u8(&r) % all;
}

size_t ftfz_encode_program(const ftd_scenario_t *s, uint8_t buf[FTFZ_SCENARIO_BYTES_MAX]) {
    if (s->kind != FTD_KIND_PROGRAM || s->leaf_count < 1 || s->leaf_count > 8 || s->op_count > FTD_MAX_PROGRAM_OPS)
        return 0;
    ftd_scenario_t base;
    ftd_scenario_init(&base, FTD_KIND_PROGRAM);
    const ft_dtype_t dt = s->leaves[0].dtype;
    uint8_t head = (uint8_t)(s->leaf_count - 1), grads = 0;
    if (dt == FT_DTYPE_F32)
        head |= 8u;
    if (!s->grad_mode)
        head |= 0x10u;
    if (s->exclude != base.exclude)
        head |= 0x20u;
    if (s->include != base.include)
        head |= 0x40u;
    size_t n = 0;
    buf[n++] = head;
    buf[n++] = 0; /* grads, below */
    buf[n++] = (uint8_t)s->op_count;
    if (head & 0x20u)
        n += put_le(buf + n, s->exclude ^ base.exclude, 8);
    if (head & 0x40u)
        n += put_le(buf + n, s->include ^ base.include, 8);
    for (size_t i = 0; i < s->leaf_count; i++) {
        const ftd_operand_t *leaf = &s->leaves[i];
        if (leaf->dtype != dt || leaf->device != FT_BACKEND_CPU)
            return 0;
        if (leaf->requires_grad)
            grads |= (uint8_t)(1u << i);
        const double v = ftd_operand_value(leaf) * 64.0;
        const bool plain = v >= -32767 && v <= 32767 && v == (double)(int16_t)v &&
                           ftd_value_bits((double)(int16_t)v / 64.0, dt) == leaf->bits;
        if (plain) {
            n += put_le(buf + n, (uint16_t)(int16_t)v, 2);
        } else {
            n += put_le(buf + n, (uint16_t)INT16_MIN, 2);
            n += put_le(buf + n, leaf->bits, dt == FT_DTYPE_F32 ? 4 : 8);
        }
    }
    buf[1] = grads;
    const uint32_t leaves = (uint32_t)s->leaf_count;
    for (size_t i = 0; i < s->op_count; i++) {
        const int op = builtin_index(s->ops[i].op);
        if (op < 0 || s->ops[i].lhs >= leaves + i || s->ops[i].rhs >= leaves + i)
            return 0;
        buf[n++] = (uint8_t)op;
        buf[n++] = (uint8_t)s->ops[i].lhs;
        buf[n++] = (uint8_t)s->ops[i].rhs;
    }
    const uint32_t all = (uint32_t)(s->leaf_count + s->op_count);
    if (s->root >= all)
        return 0;
    buf[n++] = (uint8_t)(all - 1 - s->root);
    return n;
}
