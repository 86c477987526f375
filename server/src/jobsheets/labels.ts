// The words printed on a job sheet, Chinese first.
export interface SheetLabels {
  title: string; scan: string; item: string; location: string; requester: string; phone: string; extension: string
  description: string; requestedAt: string; booked: string; tools: string; team: string; assignee: string; pool: string
  dispatchedAt: string; deadlines: string; responseBy: string; completeBy: string; chases: string
  notes: string; more: string; signTechnician: string; signRequester: string; arrivedTime: string; completedTime: string; checked: string; printedAt: string
  urgency: Record<'routine' | 'urgent' | 'critical', string>
}

const zh: SheetLabels = {
  title: '后勤服务工作单', scan: '扫码查看工单', item: '类别/项目', location: '地点', requester: '报修人', phone: '电话', extension: '分机',
  description: '问题描述', requestedAt: '要求时间', booked: '预约', tools: '辅助工具', team: '班组/网点', assignee: '维修人员', pool: '班组待领',
  dispatchedAt: '派单时间', deadlines: '时限', responseBy: '到场', completeBy: '完成', chases: '催单次数',
  notes: '备注', more: '（全文见工单）', signTechnician: '维修人员签字', signRequester: '报修人确认签字', arrivedTime: '到场时间', completedTime: '完成时间', checked: '校对（交接签字）', printedAt: '打印时间',
  urgency: { routine: '普通', urgent: '紧急', critical: '特急' },
}

const en: SheetLabels = {
  title: 'Logistics job sheet', scan: 'Scan to open', item: 'Category / item', location: 'Location', requester: 'Requester', phone: 'Tel', extension: 'Ext',
  description: 'Description', requestedAt: 'Requested', booked: 'booked', tools: 'Tools', team: 'Team / point', assignee: 'Assignee', pool: 'team pool',
  dispatchedAt: 'Dispatched', deadlines: 'Deadlines', responseBy: 'arrive by', completeBy: 'complete by', chases: 'Chases',
  notes: 'Notes', more: '(full text: scan the code)', signTechnician: 'Technician signature', signRequester: 'Requester signature', arrivedTime: 'Arrived at', completedTime: 'Completed at', checked: 'Checked (handover signature)', printedAt: 'Printed',
  urgency: { routine: 'ROUTINE', urgent: 'URGENT', critical: 'CRITICAL' },
}

export const labels = (locale: 'zh' | 'en') => (locale === 'en' ? en : zh)
