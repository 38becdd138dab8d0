/** H.265 nal_unit_type values this library acts on (ITU-T H.265 table 7-1). */
export const H265NalType = { vps: 32, sps: 33, pps: 34, aud: 35, seiPrefix: 39 } as const;
