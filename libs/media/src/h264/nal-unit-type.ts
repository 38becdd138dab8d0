/** H.264 nal_unit_type values this library acts on (ITU-T H.264 table 7-1). */
export const H264NalType = { slice: 1, idr: 5, sei: 6, sps: 7, pps: 8, aud: 9 } as const;
